import { dataset, declarativeAdapter } from '../declarative.js';
import { jobs } from './tables.js';

export const translationAdapter = declarativeAdapter({
  feature: 'translation',
  datasets: [
    dataset({
      name: 'translations',
      title: 'Translations',
      table: jobs,
      where: 'jobs.account_id = :account',
      columns: {
        accountId: 'account-id',
        context: null,
        sourceLanguage: 'content-to-translate',
        targetLanguage: 'translation-result',
        sourceText: 'content-to-translate',
        resultText: 'translation-result',
        requestedAt: null,
      },
      orderBy: ['requestedAt', 'id'],
    }),
  ],
});

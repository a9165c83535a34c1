import { declarativeAdapter } from '../declarative.js';

export const translationAdapter = declarativeAdapter({
  feature: 'translation',
  datasets: [
    {
      name: 'translations',
      title: 'Translations',
      table: 'translation.jobs',
      where: 'jobs.account_id = :account',
      columns: {
        account_id: 'account-id',
        context: null,
        source_language: 'content-to-translate',
        target_language: 'translation-result',
        source_text: 'content-to-translate',
        result_text: 'translation-result',
        requested_at: null,
      },
      orderBy: 'requested_at, id',
    },
  ],
});

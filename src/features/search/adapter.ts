import { featureById } from '../../catalogue/catalogue.js';
import { dataset, declarativeAdapter } from '../declarative.js';
import { keywords, people } from './tables.js';

/** How many keywords per person are stored: the number the privacy statement promises. */
export const KEYWORDS_KEPT = keptKeywords();

function keptKeywords(): number {
  const item = featureById('search').items.find((i) => i.id === 'search-keywords');
  if (!item?.retention) throw new Error('search: the catalogue gives no number of keywords kept');
  return item.retention.count;
}

export const searchAdapter = declarativeAdapter({
  feature: 'search',
  datasets: [
    dataset({
      name: 'directory-entry',
      title: 'How others find you in search',
      table: people,
      where: 'people.account_id = :account',
      columns: { accountId: 'account-id', name: 'name', email: 'email-address', mobile: 'mobile-number', department: 'department' },
    }),
    dataset({
      name: 'keywords',
      title: 'Recent search keywords',
      table: keywords,
      where: 'keywords.account_id = :account',
      columns: { accountId: 'account-id', keyword: 'search-keywords', scope: 'search-keywords', searchedAt: 'search-keywords' },
      orderBy: ['searchedAt', 'id'],
      // The search service adds keywords; the scheduled purge trims each person's list back to the latest.
      keepLatest: { count: KEYWORDS_KEPT, per: 'accountId', by: 'searchedAt' },
    }),
  ],
});

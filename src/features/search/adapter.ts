import { featureById } from '../../catalogue/catalogue.js';
import { declarativeAdapter } from '../declarative.js';

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
    {
      name: 'directory-entry',
      title: 'How others find you in search',
      table: 'search.people',
      where: 'people.account_id = :account',
      columns: { account_id: 'account-id', name: 'name', email: 'email-address', mobile: 'mobile-number', department: 'department' },
    },
    {
      name: 'keywords',
      title: 'Recent search keywords',
      table: 'search.keywords',
      where: 'keywords.account_id = :account',
      columns: { account_id: 'account-id', keyword: 'search-keywords', scope: 'search-keywords', searched_at: 'search-keywords' },
      orderBy: 'searched_at, id',
      // The search service adds keywords; the scheduled purge trims each person's list back to the latest.
      keepLatest: { count: KEYWORDS_KEPT, per: 'account_id', by: 'searched_at' },
    },
  ],
});

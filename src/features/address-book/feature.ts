import type { Feature } from '../feature.js';
import { addressBookAdapter } from './adapter.js';
import { seedAddressBook } from './demo.js';
import { blobDeletions, contacts, externalContacts } from './tables.js';

export const feature: Feature = {
  id: 'address-book',
  tables: [contacts, externalContacts, blobDeletions],
  adapter: addressBookAdapter,
  demo: { round: 2, seed: seedAddressBook },
};

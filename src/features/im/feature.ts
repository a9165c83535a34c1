import type { Feature } from '../feature.js';
import { imAdapter } from './adapter.js';
import { seedIm } from './demo.js';
import { attachments, blobDeletions, conversations, devices, members, messages } from './tables.js';
import { imThreads } from './view.js';

export const feature: Feature = {
  id: 'im',
  tables: [conversations, members, messages, attachments, devices, blobDeletions],
  adapter: imAdapter,
  demo: { round: 1, seed: seedIm },
  view: imThreads,
};

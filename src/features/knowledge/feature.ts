import type { Feature } from '../feature.js';
import { knowledgeAdapter } from './adapter.js';
import { seedKnowledge } from './demo.js';
import { blobDeletions, comments, likes, posts, profiles } from './tables.js';

export const feature: Feature = {
  id: 'knowledge',
  tables: [profiles, posts, comments, likes, blobDeletions],
  adapter: knowledgeAdapter,
  demo: { round: 2, seed: seedKnowledge },
};

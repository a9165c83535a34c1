import type { Feature } from '../feature.js';
import { meetingsAdapter } from './adapter.js';
import { seedMeetings } from './demo.js';
import { blobDeletions, captions, chatMessages, clientReports, meetings, participants, recordings } from './tables.js';

export const feature: Feature = {
  id: 'meetings',
  tables: [meetings, participants, chatMessages, recordings, captions, clientReports, blobDeletions],
  adapter: meetingsAdapter,
  demo: { round: 2, seed: seedMeetings },
};

import type { Feature } from '../feature.js';
import { liveStreamingAdapter } from './adapter.js';
import { seedLiveStreaming } from './demo.js';
import { blobDeletions, broadcasts, recordings, viewers } from './tables.js';

export const feature: Feature = {
  id: 'live-streaming',
  tables: [broadcasts, viewers, recordings, blobDeletions],
  adapter: liveStreamingAdapter,
  demo: { round: 2, seed: seedLiveStreaming },
};

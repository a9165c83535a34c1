import type { Feature } from '../feature.js';
import { redEnvelopeAdapter } from './adapter.js';
import { seedRedEnvelope } from './demo.js';
import { alipayAccounts, claims, envelopes, payments } from './tables.js';

export const feature: Feature = {
  id: 'red-envelope',
  tables: [alipayAccounts, envelopes, claims, payments],
  adapter: redEnvelopeAdapter,
  demo: { round: 2, seed: seedRedEnvelope },
};

import type { FeatureId } from '../catalogue/schema.js';
import type { FeatureAdapter } from './adapter.js';
import { calendarAdapter } from './calendar/adapter.js';
import { clockInAdapter } from './clock-in/adapter.js';
import { clouddriveAdapter } from './clouddrive/adapter.js';
import { imAdapter } from './im/adapter.js';

/** Adapters that ship with the service; a feature without one is reported as not automated. */
export const builtInAdapters: ReadonlyMap<FeatureId, FeatureAdapter> = new Map(
  [imAdapter, calendarAdapter, clouddriveAdapter, clockInAdapter].map((a) => [a.feature, a]),
);

import type { FeatureId } from '../catalogue/schema.js';
import type { FeatureAdapter } from './adapter.js';
import { FEATURES } from './features.js';

/** Adapters that ship with the service; a feature without one is reported as not automated. */
export const builtInAdapters: ReadonlyMap<FeatureId, FeatureAdapter> = new Map(FEATURES.map((f) => [f.id, f.adapter]));

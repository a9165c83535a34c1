import type { PgTable } from 'drizzle-orm/pg-core';
import type { FeatureId } from '../catalogue/schema.js';
import type { DemoData } from '../demo/data.js';
import type { DemoTenant } from '../demo/people.js';
import type { FeatureView } from '../results/views/listing.js';
import type { FeatureAdapter } from './adapter.js';

/**
 * One catalogue feature, as its folder `src/features/<id>/` gives it in `feature.ts`: its store, its
 * adapter, its demo data and, where people know its data in a shape of its own, its report view.
 * docs/adding-a-feature.md says how to add one.
 */
export interface Feature {
  id: FeatureId;
  /** Every table of its store (tables.ts), parents before children: the order the demo fills them in. */
  tables: PgTable[];
  adapter: FeatureAdapter;
  demo: FeatureDemo;
  /** The access report's own view of its datasets; without one each dataset is a table. */
  view?: FeatureView;
}

export interface FeatureDemo {
  /**
   * The demo's builders share one random sequence and run round by round, each round for every
   * tenant: a feature added later takes the next round, so the data of the features before it stays the same.
   */
  round: number;
  /** Adds the feature's rows (and file bytes) for one demo tenant. */
  seed: (data: DemoData, tenant: DemoTenant) => void;
}

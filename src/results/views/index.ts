import { FEATURES } from '../../features/features.js';
import { genericTable } from './generic-table.js';
import type { FeatureView, Listing, ViewContext } from './listing.js';

export type { Listing, RowRange } from './listing.js';

/** Features whose data people know in a shape of its own; the view decides from the datasets whether it applies. */
const VIEWS = new Map<string, FeatureView>(FEATURES.flatMap((f) => (f.view ? [[f.id, f.view] as const] : [])));

/**
 * What the report shows of a completed feature, in dataset order: the feature's own view where
 * its first dataset stood, and a table for every dataset the view does not show.
 */
export function featureListings(ctx: ViewContext): Listing[] {
  const view = VIEWS.get(ctx.section.id)?.(ctx);
  const listings: Listing[] = [];
  let placed = false;
  for (const dataset of ctx.section.datasets) {
    if (!view?.shows.includes(dataset.description.name)) {
      listings.push(genericTable(ctx, dataset));
    } else if (!placed) {
      listings.push(view.listing);
      placed = true;
    }
  }
  return listings;
}

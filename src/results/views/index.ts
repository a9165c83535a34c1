import { calendarAgenda } from './calendar-agenda.js';
import { clockInTable } from './clock-in-table.js';
import { driveTree } from './drive-tree.js';
import { genericTable } from './generic-table.js';
import { imThreads } from './im-threads.js';
import type { FeatureView, Listing, ViewContext } from './listing.js';

export type { Listing, RowRange } from './listing.js';

/** Features whose data people know in a shape of its own; the view decides from the datasets whether it applies. */
const VIEWS = new Map<string, FeatureView>([
  ['im', imThreads],
  ['calendar', calendarAgenda],
  ['clouddrive', driveTree],
  ['clock-in', clockInTable],
]);

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

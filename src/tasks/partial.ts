import type { BlobStore } from '../blobs/blob-store.js';
import { partialKey } from '../blobs/keys.js';
import { writePartial } from '../results/partials/partials.js';

/**
 * What a feature or manual task collected becomes its partial, for the assembly: the values it
 * records on the task (where the partial lies, how many rows each dataset has).
 */
export async function storePartial(
  results: BlobStore,
  requestId: string,
  feature: string,
  records: Parameters<typeof writePartial>[2],
  datasets: Parameters<typeof writePartial>[3],
): Promise<{ partialKey: string; counts: Record<string, number> }> {
  const key = partialKey(requestId, feature);
  return { partialKey: key, counts: await writePartial(results, key, records, datasets) };
}

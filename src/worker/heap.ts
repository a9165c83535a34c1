import v8 from 'node:v8';

/**
 * The worker's V8 heap, tuned for streaming before it takes jobs (what each flag saves: bench/README.md).
 *
 * - V8 "pretenures" the objects of an allocation site once many of them survived a young-generation
 *   collection: from then on it allocates them straight in the old generation. Rows streamed through
 *   an archive are held across a few collections by backpressure, which can tip their allocation site
 *   into this, and every later row then stays in memory until a full collection. Rows in a worker are
 *   short-lived by design, so the heuristic is off.
 * - The young generation stays at its starting size. V8 doubles it while objects survive, up to a
 *   limit it sizes from the machine's memory (Node 24: semi-spaces of 64 MB on a 24 GiB machine), and
 *   a streaming worker keeps it there: that is RSS, and every file buffer a dead young object points
 *   to waits for the next young collection to be freed. The limit (`--max-semi-space-size`) is read
 *   only when the process starts, which would need the flag in every way a worker is started; the
 *   growth factor is read at each growth, so setting it here, the one place every worker start shares,
 *   bounds it.
 */
export function tuneHeapForStreaming(): void {
  v8.setFlagsFromString('--no-allocation-site-pretenuring');
  v8.setFlagsFromString('--semi-space-growth-factor=1');
}

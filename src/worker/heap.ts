import v8 from 'node:v8';

/** 4 MB: 2 MB kept about as much in all (more native memory, less heap), 8 MB ~8 MB more (bench/README.md). */
const THREAD_SEMI_SPACE_MB = 4;

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
 * - Threads started after this (an export's text worker, results/export/text-preparation.ts) start
 *   their young generation at THREAD_SEMI_SPACE_MB per semi-space, read when a thread's heap is made.
 *   V8 starts a thread's at 1 MB, which the growth factor above then keeps: the text worker parses
 *   rows fast enough to scavenge every few milliseconds, so the buffers it hands to deflate outlived
 *   two scavenges and went to the old generation, ~35 MB of native memory at a time until a full
 *   collection (bench/README.md, session 16).
 */
export function tuneHeapForStreaming(): void {
  v8.setFlagsFromString('--no-allocation-site-pretenuring');
  v8.setFlagsFromString('--semi-space-growth-factor=1');
  v8.setFlagsFromString(`--min-semi-space-size=${THREAD_SEMI_SPACE_MB}`);
}

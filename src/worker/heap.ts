import v8 from 'node:v8';

/**
 * A worker's young generation, per semi-space, in every thread: 4 MB. For the text worker 2 MB kept
 * about as much in all (more native memory, less heap) and 8 MB ~8 MB more; for the main thread 8 MB
 * peaked ~10 MB higher and 2 MB promoted file buffers (bench/README.md).
 */
const SEMI_SPACE_MB = 4;

/**
 * The flags a worker process must start with to size its main thread's young generation: V8 reads
 * the limit only when it makes a heap. Without them the young generation grows while the modules
 * load, to 8, 16 or 64 MB semi-spaces by chance, and tuneHeapForStreaming keeps whatever it reached:
 * an export's peak RSS varied by 50 MB from run to run with it (bench/README.md, session 17). None
 * if the process was given a size of its own (on its command line or in NODE_OPTIONS).
 */
export function workerHeapFlags(execArgv: readonly string[], nodeOptions = ''): string[] {
  const given = [...execArgv, ...nodeOptions.split(/\s+/)];
  if (given.some((flag) => /^--(min|max)[-_]semi[-_]space[-_]size\b/.test(flag))) return [];
  return [`--min-semi-space-size=${SEMI_SPACE_MB}`, `--max-semi-space-size=${SEMI_SPACE_MB}`];
}

/**
 * Runs this process again in place (the same PID, open files and environment) with
 * workerHeapFlags, if it lacks them: called first thing by the commands that run a worker, so
 * `dsar worker` and `dsar up` get them however they are started (npm start, a container, a unit).
 */
export function restartWithWorkerHeap(): void {
  const flags = workerHeapFlags(process.execArgv, process.env.NODE_OPTIONS);
  if (flags.length === 0 || !process.execve) return;
  process.execve(process.execPath, [process.execPath, ...flags, ...process.execArgv, ...process.argv.slice(1)], process.env);
}

/**
 * The worker's V8 heap, tuned for streaming before it takes jobs (what each flag saves: bench/README.md).
 *
 * - V8 "pretenures" the objects of an allocation site once many of them survived a young-generation
 *   collection: from then on it allocates them straight in the old generation. Rows streamed through
 *   an archive are held across a few collections by backpressure, which can tip their allocation site
 *   into this, and every later row then stays in memory until a full collection. Rows in a worker are
 *   short-lived by design, so the heuristic is off.
 * - The young generation grows no more. V8 doubles it while objects survive, up to a limit it sizes
 *   from the machine's memory (Node 24: semi-spaces of 64 MB on a 24 GiB machine), and a streaming
 *   worker keeps it there: that is RSS, and every file buffer a dead young object points to waits for
 *   the next young collection to be freed. A `dsar` process's main thread has its size fixed at start
 *   (workerHeapFlags); the growth factor, read at each growth, bounds it where a worker runs in a
 *   process started otherwise (tests, an embedding program).
 * - Threads started after this (an export's text worker, results/export/text-preparation.ts) start
 *   their young generation at SEMI_SPACE_MB per semi-space, read when a thread's heap is made.
 *   V8 starts a thread's at 1 MB, which the growth factor above then keeps: the text worker parses
 *   rows fast enough to scavenge every few milliseconds, so the buffers it hands to deflate outlived
 *   two scavenges and went to the old generation, ~35 MB of native memory at a time until a full
 *   collection (bench/README.md, session 16).
 */
export function tuneHeapForStreaming(): void {
  v8.setFlagsFromString('--no-allocation-site-pretenuring');
  v8.setFlagsFromString('--semi-space-growth-factor=1');
  v8.setFlagsFromString(`--min-semi-space-size=${SEMI_SPACE_MB}`);
}

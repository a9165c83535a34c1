import v8 from 'node:v8';

/**
 * V8 "pretenures" the objects of an allocation site once many of them survived a young-generation
 * collection: from then on it allocates them straight in the old generation. Rows streamed through
 * an archive are held across a few collections by backpressure, which can tip their allocation site
 * into this, and every later row then stays in memory until a full collection. Rows in a worker are
 * short-lived by design, so the worker process turns the heuristic off before it takes jobs
 * (what it saves: bench/README.md).
 */
export function tuneHeapForStreaming(): void {
  v8.setFlagsFromString('--no-allocation-site-pretenuring');
}

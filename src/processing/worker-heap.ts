import v8 from 'node:v8';

/**
 * V8 "pretenures" the objects of an allocation site once many of them survived a young-generation
 * collection: it allocates them straight in the old generation from then on. While an archive streams,
 * rows held across a few collections by backpressure can tip a site (the rows parsed from a partial)
 * into this, and every later row then lands in the old generation until a full collection: about
 * 80 MB more RSS, at random (2 of 3 runs of `npm run bench`, none with this off). Rows in a worker are
 * short-lived by design, so a worker process turns the heuristic off before it takes jobs.
 */
export function tuneHeapForStreaming(): void {
  v8.setFlagsFromString('--no-allocation-site-pretenuring');
}

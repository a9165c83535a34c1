import t from 'tap';
import { Worker } from 'node:worker_threads';
import { tuneHeapForStreaming, workerHeapFlags } from '../src/worker/heap.js';

// worker/heap.ts: a thread started once the heap is tuned (the export's text worker) gets a young
// generation of 4 MB semi-spaces, which the growth factor of 1 then keeps; V8's own start is 1 MB.

// The young generation's size once it has been collected many times.
const NEW_SPACE = `
  let kept = [];
  for (let i = 0; i < 1e6; i += 1) { kept.push({ i }); if (kept.length > 100) kept = []; }
  const v8 = require('node:v8');
  require('node:worker_threads').parentPort.postMessage(v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size);
`;

t.test('a thread started after tuneHeapForStreaming keeps two semi-spaces of 4 MiB', async (t) => {
  tuneHeapForStreaming();
  const worker = new Worker(NEW_SPACE, { eval: true });
  const size = await new Promise<number>((resolve, reject) => worker.once('message', resolve).once('error', reject)).finally(() => worker.terminate());
  t.ok(size >= 2 * 4 * 1024 * 1024 && size < 2 * 8 * 1024 * 1024, `its new space is ${size} bytes`);
});

t.test("a worker process's main thread: its young generation sized at start, unless it was given a size", async (t) => {
  const sized = ['--min-semi-space-size=4', '--max-semi-space-size=4'];
  t.same(workerHeapFlags([]), sized, 'started plainly: both limits, so the size is not left to chance');
  t.same(workerHeapFlags(['--import', 'tsx'], '--enable-source-maps'), sized, 'other flags are no size');
  t.same(workerHeapFlags(['--max-semi-space-size=16']), [], "the operator's own size on the command line stands");
  t.same(workerHeapFlags([], '--trace-gc --max_semi_space_size=32'), [], 'and in NODE_OPTIONS');
});

import { collectForPartial } from './src/features/adapter.js';
import postgres from 'postgres';
import pino from 'pino';
import { imAdapter } from './src/features/im/adapter.js';
import { LocalBlobStore } from './src/blobs/blob-store.js';
import { writePartial } from './src/results/partials.js';
const sql = postgres({ host: '127.0.0.1', port: 55432, user: 'postgres', password: 'postgres', database: 'bench', max: 4 });
const [{ tenant_id }] = await sql`select tenant_id from im.messages limit 1`;
const store = new LocalBlobStore('/tmp/exp/store');
for (let i = 0; i < 2; i++) {
  const t = performance.now(); const c0 = process.cpuUsage();
  const counts = await writePartial(store, 'p/im.ndjson', collectForPartial(imAdapter, { tenantId: tenant_id, accountId: 'bench-subject' }, { sql, blobs: store, log: pino({ level: 'silent' }) } as any), imAdapter.datasets);
  console.log(counts, (performance.now() - t).toFixed(0), 'ms', process.cpuUsage(c0));
}
await sql.end();

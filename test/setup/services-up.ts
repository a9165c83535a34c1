// tap `before`: start one Postgres and one Redis for the whole run, on free ports, as daemons
// (this script exits before the tests start), and migrate a template database the tests copy.
import { mkdir, writeFile } from 'node:fs/promises';
import { loadConfig } from '../../src/config.js';
import { removeEmbeddedPostgres, startEmbeddedPostgres } from '../../src/embedded/postgres.js';
import { startLocalRedis, stopLocalRedis } from '../../src/embedded/redis.js';
import { freePort } from '../../src/embedded/ports.js';
import { ensureDatabase, runMigrations, withDatabase } from '../../src/db/migrate.js';
import { Redis } from 'ioredis';
import { pgOptions, redisClusterDir, redisDir, servicesDir, servicesFile, TEMPLATE_DATABASE } from './services.js';

const pg = pgOptions(loadConfig());

// A previous run that was killed may have left its services behind.
await removeEmbeddedPostgres(pg);
await stopLocalRedis(redisDir);
await stopLocalRedis(redisClusterDir);
await mkdir(servicesDir, { recursive: true, mode: 0o700 });

const [pgPort, redisPort, clusterPort] = [await freePort(), await freePort(), await freePort()];
const postgres = await startEmbeddedPostgres({ ...pg, port: pgPort });
const redis = await startLocalRedis({ dir: redisDir, port: redisPort, persist: false });
const cluster = await startLocalRedis({ dir: redisClusterDir, port: clusterPort, persist: false, cluster: true });
await assignAllSlots(clusterPort);

await ensureDatabase(postgres.url, TEMPLATE_DATABASE);
await runMigrations(withDatabase(postgres.url, TEMPLATE_DATABASE));

// The URL holds the test cluster's password.
await writeFile(servicesFile, JSON.stringify({ postgresUrl: postgres.url, redisUrl: redis.url, redisClusterUrl: cluster.url }), { mode: 0o600 });
console.log(`# test services: postgres on ${pgPort} (${postgres.dataDir}), redis on ${redisPort}, node ${process.version}`);

/** A cluster of one node, holding every slot, ready for clients. */
async function assignAllSlots(port: number): Promise<void> {
  const node = new Redis(port, '127.0.0.1');
  try {
    await node.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
    while (!String(await node.call('CLUSTER', 'INFO')).includes('cluster_state:ok')) await new Promise((r) => setTimeout(r, 50));
  } finally {
    node.disconnect();
  }
}

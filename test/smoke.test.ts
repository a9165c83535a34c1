import t from 'tap';
import postgres from 'postgres';
import { Redis } from 'ioredis';
import { readTestServices } from './setup/services.js';

t.test('services are up', async (t) => {
  const s = readTestServices();
  const sql = postgres(s.postgresUrl.replace(/\/postgres$/, '/dsar_template'), { max: 1 });
  const [row] = await sql`select count(*)::int as n from tenants`;
  t.equal(row?.n, 0);
  await sql.end();
  const redis = new Redis(s.redisUrl);
  t.equal(await redis.ping(), 'PONG');
  redis.disconnect();
});

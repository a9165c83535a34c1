import t from 'tap';
import { and, eq } from 'drizzle-orm';
import { auth, startSystem } from './helper.js';
import { tenantFeatureSettings } from '../src/tenants/tables.js';

// A connector's shared secret signs every call to a feature service: encrypted at rest, so a copy
// of the database (a backup, a replica, a support dump) does not let anyone sign as us.
const sys = await startSystem(t, {}, { worker: false });
const { app, keys, ctx } = sys;

const SECRET = 'the-shared-secret-of-the-approval-service';

async function storedSecret(tenantId: string, feature: string): Promise<string | null | undefined> {
  const [row] = await ctx.database.db
    .select({ secret: tenantFeatureSettings.connectorSecret })
    .from(tenantFeatureSettings)
    .where(and(eq(tenantFeatureSettings.tenantId, tenantId), eq(tenantFeatureSettings.feature, feature)));
  return row?.secret;
}

const useConnector = (key: string, secret: string) =>
  app.inject({
    method: 'PUT',
    url: '/v1/tenant/features/approval',
    headers: auth(key),
    payload: { enabled: true, adapter: 'http', connector: { baseUrl: 'http://127.0.0.1:9/approval', secret } },
  });

t.test('the column holds no plaintext, and the task runner gets the secret back', async (t) => {
  t.equal((await useConnector(keys.acme, SECRET)).statusCode, 200);
  const stored = await storedSecret('acme', 'approval');
  t.type(stored, 'string');
  t.notOk(stored?.includes(SECRET), 'not the secret');
  t.notOk(stored?.includes(SECRET.slice(4, 20)), 'nor a part of it');
  t.notOk(stored?.includes(Buffer.from(SECRET).toString('base64').slice(4, 20)), 'nor its base64');
  t.match(await ctx.featureSettings.resolve('acme', 'approval'), { adapter: 'http', connector: { secret: SECRET } });

  t.equal((await useConnector(keys.globex, SECRET)).statusCode, 200);
  t.not(await storedSecret('globex', 'approval'), stored, 'the same secret is stored differently each time');
});

t.test("a sealed secret copied to another tenant's row does not open there", async (t) => {
  await useConnector(keys.acme, SECRET);
  await useConnector(keys.globex, 'globex-has-another-secret');
  await ctx.database.db
    .update(tenantFeatureSettings)
    .set({ connectorSecret: await storedSecret('acme', 'approval') })
    .where(and(eq(tenantFeatureSettings.tenantId, 'globex'), eq(tenantFeatureSettings.feature, 'approval')));
  await t.rejects(ctx.featureSettings.resolve('globex', 'approval'));
});

t.test('a secret stored in plaintext before still works and is encrypted on first use', async (t) => {
  await useConnector(keys.acme, SECRET);
  await ctx.database.db
    .update(tenantFeatureSettings)
    .set({ connectorSecret: 'a-secret-from-before-encryption' })
    .where(and(eq(tenantFeatureSettings.tenantId, 'acme'), eq(tenantFeatureSettings.feature, 'approval')));
  t.match(await ctx.featureSettings.resolve('acme', 'approval'), { connector: { secret: 'a-secret-from-before-encryption' } });
  const stored = await storedSecret('acme', 'approval');
  t.notOk(stored?.includes('a-secret-from-before-encryption'), 'encrypted in place when it was read');
  t.match(await ctx.featureSettings.resolve('acme', 'approval'), { connector: { secret: 'a-secret-from-before-encryption' } });
});

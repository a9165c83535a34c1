import Fastify from 'fastify';
import { openSql } from '../src/db/client.js';
import { OPEN_STATUSES } from '../src/requests/lifecycle.js';

/**
 * The baseline of bench/api.ts: a bare fastify server writing and reading what `POST /v1/requests` and
 * `GET /v1/requests/{id}` write and read, with the API's statements (the same INSERTs, conflict target,
 * event outbox and SELECT), through postgres.js with the API's pool, and nothing else: no auth, rate
 * limit, idempotency, tenant settings, queue, schemas or ETag. Run as a child process, as the API is.
 * DATABASE_URL, PORT, TENANT and FEATURES (comma-separated) come from the environment.
 */

const sql = openSql(process.env.DATABASE_URL ?? '', { max: 10, onnotice: () => {} });
const tenantId = process.env.TENANT ?? 'acme';
const features = (process.env.FEATURES ?? '').split(',');
/** The API's open statuses (requests/tables.ts IS_OPEN): one open request per subject and type. */
const OPEN = `status in (${OPEN_STATUSES.map((s) => `'${s}'`).join(', ')})`;
/** The fields of a task the API's reads and writes of a request return (its view's, requests/repository.ts). */
const SHOWN_TASK = 'feature, status, counts, error, started_at, finished_at';
const SHOWN_TASK_JSON = "'feature', t.feature, 'status', t.status, 'counts', t.counts, 'error', t.error, 'startedAt', t.started_at, 'finishedAt', t.finished_at";
const app = Fastify();

interface Body {
  type: string;
  subject: { accountId: string };
  verification: { method: string; note: string };
}

// The request, its tasks and its `received` event (with its webhook deliveries) in one transaction, as the API writes them.
app.post<{ Body: Body }>('/requests', async (request, reply) => {
  const { type, subject, verification } = request.body;
  const due = new Date(Date.now() + 30 * 86_400_000);
  const row = await sql.begin(async (tx) => {
    const [created] = await tx`
      insert into requests (tenant_id, type, status, subject_account_id, subject_identified_by, features, catalogue_version,
        regime, due_at, requested_by_type, verification_method, verification_note)
      values (${tenantId}, ${type}, 'received', ${subject.accountId}, 'accountId', ${features}, 'bench', 'gdpr', ${due},
        'api_key', ${verification.method}, ${verification.note})
      on conflict (tenant_id, subject_account_id, type) where ${tx.unsafe(OPEN)} do nothing
      returning *`;
    if (!created) throw new Error('no row');
    await tx`insert into tasks ${tx(features.map((feature) => ({ request_id: created.id, feature, status: 'pending' })))} returning ${tx.unsafe(SHOWN_TASK)}`;
    await tx`
      with e as (
        insert into audit_events (tenant_id, request_id, kind, actor_type, detail)
        values (${tenantId}, ${created.id}, 'received', 'api_key', ${tx.json({ type, features })})
        returning id, tenant_id)
      insert into webhook_deliveries (endpoint_id, event_id, request_id, type)
      select w.id, e.id, ${created.id}::uuid, 'request.status_changed'
      from e join webhook_endpoints w on w.tenant_id = e.tenant_id and 'request.status_changed' = any(w.events)`;
    return created;
  });
  return reply.code(202).header('location', `/requests/${row.id}`).send(row);
});

// The request with its tasks' shown fields in one statement (a correlated json_agg), as the API reads them.
app.get<{ Params: { id: string } }>('/requests/:id', async (request, reply) => {
  const [row] = await sql`
    select r.*, (select coalesce(json_agg(json_build_object(${sql.unsafe(SHOWN_TASK_JSON)}) order by t.feature), '[]') from tasks t where t.request_id = r.id) as tasks
    from requests r where r.id = ${request.params.id} and r.tenant_id = ${tenantId}`;
  if (!row) return reply.code(404).send({ title: 'Not found' });
  return row;
});

app.get('/readyz', async () => ({ status: 'ok' }));

await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
console.log('bare api is up');
process.on('SIGTERM', () => {
  void app.close().then(() => sql.end({ timeout: 5 }));
});

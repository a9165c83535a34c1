import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Queue } from 'bullmq';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { KEY_PREFIX, type ApiKeyService } from '../auth/api-keys.js';
import { AppError } from '../errors.js';
import { sendProblem } from '../http/problems.js';

/**
 * Bull Board at /admin/queues, the operators' view of the queues: it shows every tenant's jobs, so
 * only admin keys of the operators' tenants (OPERATOR_TENANTS) open it. A browser signs in with
 * HTTP Basic (any user name, the key as password), which it then sends with every call of the
 * page; scripts send `Authorization: Bearer <key>`. Jobs carry ids only (request id, feature),
 * so nothing personal is shown.
 *
 * Read-only: Postgres holds the truth about the work, and the API's routes and the worker change
 * it; a job retried, removed or emptied from here would bypass them.
 */

export const DASHBOARD_PATH = '/admin/queues';

const REALM = 'Basic realm="DSAR queue dashboard", charset="UTF-8"';

const signIn = () =>
  new AppError(401, 'unauthorized', 'Unauthorized', "An operator's admin API key is required: Authorization: Bearer <key>, or Basic with the key as password");
const notOperator = () =>
  new AppError(403, 'forbidden:operator', 'Forbidden', 'The queue dashboard is for admin keys of the operators’ tenants (OPERATOR_TENANTS)');

/** The API key of `Authorization: Bearer <key>` or `Basic base64(<any user>:<key>)`. */
function keyOf(request: FastifyRequest): string | undefined {
  const [scheme, value] = (request.headers.authorization ?? '').split(' ', 2);
  if (!value) return undefined;
  if (scheme === 'Bearer') return value;
  if (scheme !== 'Basic') return undefined;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  return decoded.slice(decoded.indexOf(':') + 1);
}

export interface DashboardOptions {
  /** The queues to show, opened when the dashboard is first opened. */
  queues: () => readonly Queue[];
  keys: ApiKeyService;
  operatorTenants: readonly string[];
}

export async function queueDashboard(app: FastifyInstance, options: DashboardOptions): Promise<void> {
  await app.register(async (scope) => {
    // Answered here rather than thrown: Bull Board sets an error handler of its own on its routes.
    scope.addHook('onRequest', async (request, reply) => {
      const key = keyOf(request);
      const principal = key?.startsWith(KEY_PREFIX) ? await options.keys.principalOf(key) : undefined;
      if (!principal) return sendProblem(reply.header('www-authenticate', REALM), signIn().toProblem());
      if (principal.role !== 'admin' || !options.operatorTenants.includes(principal.tenantId)) {
        return sendProblem(reply, notOperator().toProblem());
      }
      if (!shown) board.setQueues(options.queues().map((queue) => new BullMQAdapter(queue, { readOnlyMode: true })));
      shown = true;
    });
    const serverAdapter = new FastifyAdapter();
    const board = createBullBoard({ queues: [], serverAdapter, options: { uiConfig: { boardTitle: 'DSAR queues' } } });
    let shown = false;
    await scope.register(serverAdapter.registerPlugin(), { prefix: DASHBOARD_PATH });
  });
}

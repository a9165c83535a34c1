import type { Logger } from 'pino';
import { loggableError } from '../errors.js';
import { within } from '../dependencies.js';
import type { RequestFlow } from '../queue/flow.js';
import type { RequestRepository } from './repository.js';
import type { RequestRow } from './tables.js';
import { REQUEST_TRANSITIONS, type RequestStatus } from './lifecycle.js';

/** How long a hand-over waits for Redis before leaving its requests to the reconciler. */
export const ENQUEUE_WAIT_MS = 5_000;
/**
 * At most this many requests in one call to Redis and one statement. A batch's flows (20 jobs a request)
 * go in one MULTI, which Redis runs as one step while every other call (each one's rate-limit count)
 * waits: small batches keep that step short.
 */
const MOST_A_BATCH = 20;

/** The request as queued; undefined: something moved it first; false: the queue did not take it. */
export type HandedOver = RequestRow | undefined | false;

interface Waiting {
  row: RequestRow;
  done: (result: HandedOver) => void;
}

/**
 * Hands requests just written to the queue: a plan job each to Redis, then `queued` in Postgres; the
 * worker running a plan job adds the request's flow (addFlow). The requests
 * taken while a hand-over is under way go together in the next one (one call to Redis, one transaction
 * for their moves and events), so a flood of submissions costs a commit and a round trip to Redis a
 * batch, not each. Nothing waits for a timer: a request alone is handed over at once.
 */
export class HandOvers {
  private waiting: Waiting[] = [];
  private draining = false;

  constructor(
    private readonly flow: Pick<RequestFlow, 'plan'>,
    private readonly repo: Pick<RequestRepository, 'moveRequests'>,
    private readonly log: Logger,
  ) {}

  hand(row: RequestRow): Promise<HandedOver> {
    return new Promise((done) => {
      this.waiting.push({ row, done });
      if (!this.draining) void this.drain();
    });
  }

  /** Hands over batch after batch until none waits; the last look and the end are one step, so no request is left behind. */
  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0, MOST_A_BATCH);
        const results = await this.handBatch(batch.map((w) => w.row));
        for (const [i, w] of batch.entries()) w.done(results[i] as HandedOver);
      }
    } finally {
      this.draining = false;
    }
  }

  private async handBatch(rows: RequestRow[]): Promise<HandedOver[]> {
    try {
      // Redis down: the callers are not kept waiting. An enqueue that completes later is harmless: the
      // requests stay `received` until their first job moves them, and the reconciler finds their plan jobs.
      await within(this.flow.plan(rows.map((row) => row.id)), ENQUEUE_WAIT_MS);
      const moved = new Map((await this.repo.moveRequests(rows.map((row) => row.id), 'queue')).map((row) => [row.id, row]));
      return rows.map((row) => moved.get(row.id));
    } catch (err) {
      // The requests are safe in Postgres; the worker's reconciler enqueues them later.
      for (const row of rows) this.log.warn({ requestId: row.id, ...loggableError(err) }, 'enqueue failed; the reconciler retries');
      return rows.map(() => false);
    }
  }
}

/** A request whose flow its plan job adds: one that can still start (its first feature job moves it to processing). */
const AWAITING_FLOW: readonly RequestStatus[] = REQUEST_TRANSITIONS.start.from;

/**
 * A plan job's work: the flow of its request, if the request still waits for it. One that has moved on
 * (started, cancelled, ended) has its flow or needs none. Run again (its worker died), it adds nothing twice.
 */
export async function addFlow(
  requestId: string,
  deps: { repo: Pick<RequestRepository, 'findById'>; flow: Pick<RequestFlow, 'enqueueFresh'> },
): Promise<void> {
  const row = await deps.repo.findById(requestId);
  if (row && AWAITING_FLOW.includes(row.status)) await deps.flow.enqueueFresh([{ requestId, features: row.features }]);
}

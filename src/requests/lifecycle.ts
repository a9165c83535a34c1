/**
 * A request's lifecycle in one place.
 *
 *   received ──> queued ──> processing ──> completed | partially_completed | failed ──> expired
 *       │          │           └──> action_required (manual tasks) ──> processing
 *       └──────────┴───────────┴──────────┴──> cancelled
 *
 * `expired`: the result was deleted when its retention ended.
 *
 * `received` is written before the flow is enqueued, so a crash in between is recovered
 * by re-enqueueing (see requeueStranded); `queued` once BullMQ holds the flow.
 */

export const REQUEST_TYPES = ['access', 'export', 'deletion'] as const;
export const REQUEST_STATUSES = [
  'received',
  'queued',
  'processing',
  'action_required',
  'completed',
  'partially_completed',
  'failed',
  'cancelled',
  'expired',
] as const;
export const TASK_STATUSES = [
  'pending',
  'running',
  'action_required',
  'completed',
  'failed',
  'not_automated',
  'cancelled',
] as const;
export type RequestType = (typeof REQUEST_TYPES)[number];
export type RequestStatus = (typeof REQUEST_STATUSES)[number];
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const TERMINAL_STATUSES: readonly RequestStatus[] = [
  'completed',
  'partially_completed',
  'failed',
  'cancelled',
  'expired',
];
export const OPEN_STATUSES: readonly RequestStatus[] = ['received', 'queued', 'processing', 'action_required'];

export function isTerminal(status: RequestStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/**
 * The final status once every task has ended. A feature that could not be processed never
 * lets the request pass as completed; features without an adapter are reported, not failed.
 */
export function finalStatus(tasks: { status: TaskStatus }[]): RequestStatus {
  const failed = tasks.filter((t) => t.status === 'failed').length;
  if (failed === 0) return 'completed';
  const succeeded = tasks.filter((t) => t.status === 'completed').length;
  return succeeded === 0 && failed === tasks.length ? 'failed' : 'partially_completed';
}

/**
 * A request's and its tasks' lifecycle in one place: the statuses, and every transition between
 * them with the statuses it may start from and what it records. The repository makes each one a
 * single conditional UPDATE (`… WHERE status IN (from) RETURNING *`), so a transition that is not
 * allowed, or that lost a race to another one, changes nothing and returns no row.
 *
 *   awaiting_approval <──> awaiting_subject        (under review; both ──> rejected)
 *       │ approve
 *       v
 *   received ──> queued ──> processing ──> completed | partially_completed | failed ──> expired | erased
 *       │          │           ├──> action_required (manual tasks) ──> processing
 *       │          │           └──> awaiting_release ──> processing (released: closed with the result,
 *       │          │                                                 or assembled again without withheld items)
 *       └──────────┴───────────┴──────────┴──> cancelled   (from awaiting_approval and awaiting_subject too)
 *   partially_completed | failed ──> queued   (retry: their failed tasks run again)
 *
 * A request whose type the tenant reviews (a correction always) is written `awaiting_approval`, with nothing run until an
 * agent approves it; `awaiting_subject`: the agent asked the subject for more, the deadline paused.
 * `awaiting_release`: the tenant reviews results before the subject gets them; an agent previews
 * the result and releases it, withholding items with a reason if need be (Art. 15(4)).
 * `expired`: the result was deleted when its retention ended. `erased`: an access or export result (or one
 * awaiting release) was deleted because a deletion request of the same subject completed.
 *
 * `retry`: an agent runs a failed or partly completed request's failed tasks again; the partials
 * of its completed tasks were kept for it (deleted with the result, or once a retry completes), and
 * the result is built again from both. The deadline keeps running: the law's clock did not stop.
 *
 * `received` is written before the flow is enqueued, so a crash in between is recovered
 * by re-enqueueing (the reconciler, src/queue/reconciler.ts); `queued` once BullMQ holds the flow.
 *
 * A new status is a line in its list, and each way into or out of it a line in its table.
 */

export const REQUEST_TYPES = ['access', 'export', 'deletion', 'correction'] as const;
/** What became of one change a correction asked for: still to be made, made, or refused with a reason. */
export const CHANGE_OUTCOMES = ['pending', 'corrected', 'refused'] as const;
export type ChangeOutcome = (typeof CHANGE_OUTCOMES)[number];
export const REQUEST_STATUSES = [
  'awaiting_approval',
  'awaiting_subject',
  'received',
  'queued',
  'processing',
  'action_required',
  'awaiting_release',
  'completed',
  'partially_completed',
  'failed',
  'cancelled',
  'rejected',
  'expired',
  'erased',
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
/** How a subject's identity was verified: their own token, or what an agent checked on their behalf. */
export const VERIFICATION_METHODS = ['subject_token', 'sso', 'email_code', 'id_document', 'in_person'] as const;
export type VerificationMethod = (typeof VERIFICATION_METHODS)[number];
export const REJECTION_REASONS = ['identity_not_verified', 'manifestly_unfounded', 'excessive', 'legal_exemption', 'other'] as const;
/** Why an item is withheld from a result on release (GDPR Art. 15(4): the rights and freedoms of others). */
export const WITHHOLDING_REASONS = ['third_party_rights', 'legal_privilege', 'trade_secret', 'legal_exemption', 'other'] as const;
export type WithholdingReason = (typeof WITHHOLDING_REASONS)[number];
/** The statuses a request and its tasks are written with. */
export const INITIAL_STATUS = { request: 'received', reviewed: 'awaiting_approval', task: 'pending' } as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** Statuses the worker carries a request through. */
export const RUNNING_STATUSES = ['received', 'queued', 'processing', 'action_required'] as const satisfies readonly RequestStatus[];
/**
 * Statuses whose work BullMQ holds: the request's flow, or its assembly once the last manual task
 * was answered or the result released. Redis may lose it; the reconciler checks these against Redis.
 */
export const QUEUE_STATUSES = ['received', 'queued', 'processing'] as const satisfies readonly RequestStatus[];
/** Waiting for an agent's decision, or for the subject's answer. */
export const REVIEW_STATUSES = ['awaiting_approval', 'awaiting_subject'] as const satisfies readonly RequestStatus[];
/** Open, but no longer cancellable: the result is assembled and waits for an agent to release it. */
export const RELEASE_STATUSES = ['awaiting_release'] as const satisfies readonly RequestStatus[];
export const OPEN_STATUSES = [...RUNNING_STATUSES, ...REVIEW_STATUSES, ...RELEASE_STATUSES] as const satisfies readonly RequestStatus[];
/** Statuses in which a request's deadline runs: open and not waiting for the subject. */
export const DEADLINE_STATUSES: readonly RequestStatus[] = OPEN_STATUSES.filter((s) => s !== 'awaiting_subject');
/** Statuses whose request may hold a result; its retention runs from completedAt. */
export const RESULT_STATUSES = ['completed', 'partially_completed', 'failed'] as const satisfies readonly RequestStatus[];
/** Statuses whose result was deleted: its downloads and links answer 410. */
export const RESULT_DELETED_STATUSES = ['expired', 'erased'] as const satisfies readonly RequestStatus[];
/** Ended with tasks that failed: an agent may retry them (`retry`). */
export const RETRYABLE_STATUSES = ['failed', 'partially_completed'] as const satisfies readonly RequestStatus[];
export const TERMINAL_STATUSES: readonly RequestStatus[] = [...RESULT_STATUSES, 'cancelled', 'rejected', ...RESULT_DELETED_STATUSES];
const OPEN_TASK_STATUSES = ['pending', 'running'] as const satisfies readonly TaskStatus[];

export interface Transition<S extends string, Stamp extends string> {
  from: readonly S[];
  to: S;
  /** The column set to the time of the transition (unless the caller gives that time). */
  stamp?: Stamp;
  /** The audit event the transition records; a request's transition records its new status unless it names one. */
  event?: string;
}

type RequestTransition = Transition<RequestStatus, 'completedAt'>;
type TaskTransition = Transition<TaskStatus, 'startedAt' | 'finishedAt'>;

export const REQUEST_TRANSITIONS = {
  /** BullMQ holds the request's flow. */
  queue: { from: ['received'], to: 'queued' },
  /** A feature task started. */
  start: { from: ['received', 'queued'], to: 'processing' },
  /** Every automated task has ended; manual ones wait for an agent. */
  awaitAction: { from: ['received', 'queued', 'processing'], to: 'action_required' },
  /** The last manual task was answered: the request is assembled. */
  resume: { from: ['action_required'], to: 'processing' },
  complete: { from: RUNNING_STATUSES, to: 'completed', stamp: 'completedAt' },
  completePartially: { from: RUNNING_STATUSES, to: 'partially_completed', stamp: 'completedAt' },
  fail: { from: RUNNING_STATUSES, to: 'failed', stamp: 'completedAt' },
  cancel: { from: [...RUNNING_STATUSES, ...REVIEW_STATUSES], to: 'cancelled', stamp: 'completedAt' },
  /** The result is assembled; the tenant reviews it before the subject gets it. */
  awaitRelease: { from: RUNNING_STATUSES, to: 'awaiting_release' },
  /**
   * An agent released the result: the assembly closes the request with it as it was previewed, or
   * builds it again without the items the agent withheld.
   */
  release: { from: RELEASE_STATUSES, to: 'processing', event: 'released' },
  /**
   * An agent retried a request that ended with failed tasks: those run again and the result is built
   * anew. Written before the flow is enqueued: should that fail, the reconciler enqueues it.
   */
  retry: { from: RETRYABLE_STATUSES, to: 'queued', event: 'retry_requested' },
  /** An agent approved a reviewed request: it runs as if just received. */
  approve: { from: ['awaiting_approval'], to: 'received', event: 'approved' },
  /** An agent refused it, with a reason shown to the subject; nothing ran. */
  reject: { from: REVIEW_STATUSES, to: 'rejected', stamp: 'completedAt' },
  /** An agent asked the subject for more; the deadline pauses. */
  requestInfo: { from: ['awaiting_approval'], to: 'awaiting_subject', event: 'info_requested' },
  /** The subject answered: back to the agent, the deadline running again. */
  respond: { from: ['awaiting_subject'], to: 'awaiting_approval', event: 'subject_responded' },
  /** The result was deleted when its retention ended. */
  expire: { from: RESULT_STATUSES, to: 'expired' },
  /** A deletion request of the same subject completed: their earlier results are erased with their data. */
  erase: { from: [...RESULT_STATUSES, ...RELEASE_STATUSES], to: 'erased' },
} as const satisfies Record<string, RequestTransition>;

export const TASK_TRANSITIONS = {
  /** No adapter answers the feature: reported, not failed. */
  notAutomate: { from: OPEN_TASK_STATUSES, to: 'not_automated', stamp: 'finishedAt', event: 'task_not_automated' },
  /** A person answers this one over the API. */
  awaitAgent: { from: OPEN_TASK_STATUSES, to: 'action_required', stamp: 'startedAt', event: 'task_action_required' },
  /** An attempt starts (a retry starts from the attempt before). */
  start: { from: OPEN_TASK_STATUSES, to: 'running', stamp: 'startedAt', event: 'task_started' },
  complete: { from: ['running'], to: 'completed', stamp: 'finishedAt', event: 'task_completed' },
  completeByHand: { from: ['action_required'], to: 'completed', stamp: 'finishedAt', event: 'manual_task_completed' },
  /** The last attempt failed (each failed attempt records its own event). */
  fail: { from: ['running'], to: 'failed', stamp: 'finishedAt' },
  /** The assembly found the task unfinished: its job vanished. */
  abandon: { from: OPEN_TASK_STATUSES, to: 'failed', stamp: 'finishedAt' },
  cancel: { from: OPEN_TASK_STATUSES, to: 'cancelled', stamp: 'finishedAt' },
  /**
   * The request is retried: a failed task runs again. Only failed ones: a completed task's partial
   * is kept, and a feature without an adapter (not_automated) or answered by hand has nothing to rerun.
   */
  retry: { from: ['failed'], to: 'pending' },
} as const satisfies Record<string, TaskTransition>;

export type RequestTransitionName = keyof typeof REQUEST_TRANSITIONS;
export type TaskTransitionName = keyof typeof TASK_TRANSITIONS;

export function isTerminal(status: RequestStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** Whether a request in this status takes the transition (the repository's UPDATE would move it). */
export function takes(status: RequestStatus, name: RequestTransitionName): boolean {
  return (REQUEST_TRANSITIONS[name].from as readonly RequestStatus[]).includes(status);
}

/** Whether the request's result was deleted (its downloads answer 410). */
export function isResultDeleted(status: RequestStatus): boolean {
  return (RESULT_DELETED_STATUSES as readonly RequestStatus[]).includes(status);
}

/** Whether a task is still to be answered, by its job or by an agent. */
export function isTaskOpen(status: TaskStatus): boolean {
  return [...OPEN_TASK_STATUSES, 'action_required'].includes(status);
}

/** Whether a task waits for its job: to run, or to finish running. */
export function awaitsJob(status: TaskStatus): boolean {
  return (OPEN_TASK_STATUSES as readonly TaskStatus[]).includes(status);
}

/**
 * How a request closes once every task has ended. A feature that could not be processed never
 * lets the request pass as completed; features without an adapter are reported, not failed.
 */
export function closingTransition(tasks: { status: TaskStatus }[]): 'complete' | 'completePartially' | 'fail' {
  const failed = tasks.filter((t) => t.status === 'failed').length;
  if (failed === 0) return 'complete';
  const succeeded = tasks.filter((t) => t.status === 'completed').length;
  return succeeded === 0 && failed === tasks.length ? 'fail' : 'completePartially';
}

import { INITIAL_STATUS, REQUEST_TRANSITIONS, type RequestStatus } from '../requests/lifecycle.js';

/**
 * What a webhook delivers, from the audit trail's events: a request's status changes (approval,
 * release and every other transition of the lifecycle among them) and a deadline's extension.
 * A new kind of event is a line here.
 */
export const WEBHOOK_EVENT_TYPES = ['request.status_changed', 'request.extended'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export const DELIVERY_STATES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/**
 * The status each audit event of a status change leads to: a transition records its new status
 * or the event it names (lifecycle.ts), and a request is recorded as received (or awaiting
 * approval) when created.
 */
const STATUS_OF_EVENT: ReadonlyMap<string, RequestStatus> = new Map<string, RequestStatus>([
  [INITIAL_STATUS.request, INITIAL_STATUS.request],
  [INITIAL_STATUS.reviewed, INITIAL_STATUS.reviewed],
  ...Object.values(REQUEST_TRANSITIONS).map((t): [string, RequestStatus] => ['event' in t ? t.event : t.to, t.to]),
]);

/** The audit event kinds of status changes (to find a request's previous status). */
export const STATUS_EVENT_KINDS: readonly string[] = [...STATUS_OF_EVENT.keys()];

export function statusOfEvent(kind: string): RequestStatus | undefined {
  return STATUS_OF_EVENT.get(kind);
}

/** The webhook event an audit event is, if any. */
export function webhookEventOf(kind: string): WebhookEventType | undefined {
  if (STATUS_OF_EVENT.has(kind)) return 'request.status_changed';
  if (kind === 'extended') return 'request.extended';
  return undefined;
}

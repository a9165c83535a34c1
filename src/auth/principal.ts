/**
 * Who is calling, and who did something. Every /v1 route is called by a principal: an API key of a
 * tenant (an admin, or a support agent working the tenant's queue), or a data subject signed in to
 * the suite. The audit trail records an actor: the principal that acted, or the system.
 */
export const ROLES = ['admin', 'agent', 'subject'] as const;
export type Role = (typeof ROLES)[number];
export const KEY_ROLES = ['admin', 'agent'] as const;
export type KeyRole = (typeof KEY_ROLES)[number];

export type Principal =
  | { kind: 'api_key'; tenantId: string; role: KeyRole; keyId: string; keyName: string }
  | { kind: 'subject'; tenantId: string; role: 'subject'; subjectId: string; authTime: Date };

export interface Actor {
  type: 'api_key' | 'subject' | 'system';
  /** The key's id or the subject's account id; null for the system. */
  id: string | null;
  /** The key's name; null for a subject and the system. */
  name: string | null;
  ip: string | null;
}

export const SYSTEM_ACTOR: Actor = { type: 'system', id: null, name: null, ip: null };

export function actorOf(principal: Principal, ip: string | null): Actor {
  return principal.kind === 'api_key'
    ? { type: 'api_key', id: principal.keyId, name: principal.keyName, ip }
    : { type: 'subject', id: principal.subjectId, name: null, ip };
}

import { AppError } from '../errors.js';
import type { Role } from './principal.js';

/**
 * What a /v1 route needs, and which role holds it. Each route names one permission in its options
 * (`config: { permission }`); the auth hook (hook.ts) checks it against this table, so a route's
 * rule is written once and a route without one does not start.
 */
export const PERMISSIONS = [
  'requests:create',
  'requests:read',
  'requests:cancel',
  /** Approve, reject, ask for information, extend. */
  'requests:approve',
  /** The subject answers a request for information. */
  'requests:respond',
  'requests:download',
  /** Run a failed or partly completed request's failed tasks again. */
  'requests:retry',
  'links:create',
  'tasks:manual',
  'audit:read',
  'keys:manage',
  'tenant:configure',
  /** The tenant's notice to subjects (agents answer subjects' questions with it; admins change it with tenant:configure). */
  'notice:read',
  'catalogue:read',
  /** Register webhook endpoints, read their delivery logs, replay a delivery. */
  'webhooks:manage',
  /** Requests' records (with their receipts) and the yearly figures. */
  'records:read',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const ADMIN_ONLY: readonly Permission[] = ['keys:manage', 'tenant:configure', 'audit:read', 'webhooks:manage', 'records:read'];

/** A subject's permissions reach only their own account's requests (hook.ts, request-service.ts). */
export const ROLE_PERMISSIONS: Record<Role, ReadonlySet<Permission>> = {
  admin: new Set(PERMISSIONS),
  agent: new Set(PERMISSIONS.filter((p) => !ADMIN_ONLY.includes(p))),
  subject: new Set<Permission>([
    'requests:create',
    'requests:read',
    'requests:cancel',
    'requests:respond',
    'requests:download',
    'catalogue:read',
  ]),
};

export function isPermission(value: unknown): value is Permission {
  return typeof value === 'string' && (PERMISSIONS as readonly string[]).includes(value);
}

export const forbidden = (permission: Permission) =>
  new AppError(403, `forbidden:${permission}`, 'Forbidden', `This role lacks the permission ${permission}`);

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What a /v1 route needs (permissions.ts); public routes outside /v1 name none. */
    permission?: Permission;
  }
}

import { DrizzleQueryError } from 'drizzle-orm';
import { AppError } from './errors.js';

/**
 * Postgres, Redis or a feature's store failing: which errors say a dependency is unavailable (rather
 * than that a statement or a rule failed), and what the API and the worker make of it. An outage is
 * nobody's fault: the API answers 503 with Retry-After, the worker waits it out, and a feature whose
 * store cannot be reached fails its task as `unreachable`.
 */

export type Dependency = 'database' | 'queue';

/** Socket errors of a connection that could not be opened or was lost (postgres.js passes them on as they are). */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/**
 * postgres.js' own (src/errors.js: a connection closed, ended, destroyed or not opened in time), and the
 * SQLSTATEs of a server shutting down, starting up or refusing connections (57P01–57P03, 53300).
 */
const POSTGRES_CODES = new Set(['CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT', '57P01', '57P02', '57P03', '53300']);
/** ioredis: a command given up after the connection's retries (MaxRetriesPerRequestError), or on a closed connection. */
const REDIS_NAMES = new Set(['MaxRetriesPerRequestError']);
const REDIS_CLOSED = 'Connection is closed.';

/** The dependency `error` says is unavailable, or undefined for any other error. Drizzle wraps the driver's error. */
export function unavailable(error: unknown): Dependency | undefined {
  if (error instanceof DrizzleQueryError) return unavailable(error.cause);
  if (!(error instanceof Error)) return undefined;
  if (REDIS_NAMES.has(error.name) || error.message === REDIS_CLOSED) return 'queue';
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') return undefined;
  if (SOCKET_CODES.has(code) || POSTGRES_CODES.has(code) || code.startsWith('08')) return 'database';
  return undefined;
}

const NAMES: Record<Dependency, string> = { database: 'The database', queue: 'The job queue' };

/** The API's answer while a dependency is down: 503, and the caller retries after Retry-After. */
export function serviceUnavailable(dependency: Dependency): AppError {
  return new AppError(503, 'service-unavailable', 'Service unavailable', `${NAMES[dependency]} is unavailable; try again later`);
}

/** Whether a probe answers within `ms`; /readyz and the worker ask before they call an error an outage. */
export async function answers(probe: () => Promise<unknown>, ms = 2000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([probe(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), ms)))]);
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

export class TimeoutError extends Error {
  override name = 'TimeoutError';
}

/**
 * `work`, or a TimeoutError once `ms` have passed. The work itself is not stopped here (a feature task
 * aborts its adapter's signal); its outcome is dropped, and its failure too.
 */
export async function within<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  work.catch(() => {});
  try {
    return await Promise.race([work, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new TimeoutError(`no answer within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

import type { ErasureOutcome } from '../features/adapter.js';

/**
 * Reading a task's `outcome` column, which is untyped JSON: an adapter's erasure outcomes (an array),
 * or `{ manual: { note, files } }` when a person answered the task by hand. Checked before any
 * result relies on it.
 */

interface ManualAnswer {
  note: string;
}

export function readManual(value: unknown): ManualAnswer | undefined {
  if (!isObject(value) || !isObject(value.manual)) return undefined;
  const { note } = value.manual;
  return typeof note === 'string' ? { note } : undefined;
}

export function readErasure(value: unknown): ErasureOutcome[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.every(isOutcome) ? value : undefined;
}

function isOutcome(value: unknown): value is ErasureOutcome {
  if (!isObject(value)) return false;
  return (
    typeof value.dataset === 'string' &&
    [value.deleted, value.anonymized, value.kept].every(isCount) &&
    Array.isArray(value.items) &&
    value.items.every((i) => typeof i === 'string') &&
    optional(value.identityItems, (ids) => Array.isArray(ids) && ids.every(isString)) &&
    (value.note === null || optional(value.note, isString)) &&
    optional(value.retained, isCount) &&
    optional(value.retainedUntil, isString) &&
    optional(value.retentionReason, isString) &&
    optional(value.restricted, (v) => typeof v === 'boolean') &&
    optional(value.recipients, isReached)
  );
}

function isReached(value: unknown): boolean {
  return isObject(value) && isString(value.recipient) && Array.isArray(value.named) && value.named.every(isString);
}

function isCount(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value);
}

function isString(value: unknown): boolean {
  return typeof value === 'string';
}

function optional(value: unknown, check: (value: unknown) => boolean): boolean {
  return value === undefined || check(value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

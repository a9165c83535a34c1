import Type, { type Static } from 'typebox';
import { DrizzleQueryError } from 'drizzle-orm';

/**
 * Errors are values with a type: each maps to an RFC 9457 problem+json body.
 * Services throw these; the HTTP layer renders them; nothing else inspects messages.
 */

export const Problem = Type.Object(
  {
    type: Type.String({ description: 'URI identifying the problem type' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String()),
    errors: Type.Optional(
      Type.Array(
        Type.Object({
          field: Type.String({ description: 'JSON pointer of the offending field, e.g. /subject/accountId' }),
          message: Type.String(),
        }),
      ),
    ),
  },
  { $id: 'Problem', title: 'Problem (RFC 9457)' },
);
export type Problem = Static<typeof Problem>;
export type FieldError = NonNullable<Problem['errors']>[number];

// A URN, not a URL: no documentation site is promised by a problem type.
const PROBLEM_BASE = 'urn:dsar:problem:';

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail?: string,
    readonly errors?: FieldError[],
  ) {
    super(detail ?? title);
  }

  toProblem(instance?: string): Problem {
    return {
      type: PROBLEM_BASE + this.code,
      title: this.title,
      status: this.status,
      ...(this.detail ? { detail: this.detail } : {}),
      ...(instance ? { instance } : {}),
      ...(this.errors ? { errors: this.errors } : {}),
    };
  }
}

export const badRequest = (detail: string, errors?: FieldError[]) =>
  new AppError(400, 'bad-request', 'Bad request', detail, errors);
export const unauthorized = () =>
  new AppError(401, 'unauthorized', 'Unauthorized', 'A valid API key is required: Authorization: Bearer <key>');
export const notFound = (what: string) => new AppError(404, 'not-found', 'Not found', `${what} not found`);
export const conflict = (code: string, detail: string) => new AppError(409, code, 'Conflict', detail);

/**
 * What a log line may tell of an error: its kind, its codes and where it was thrown, never its
 * message. Messages carry values: drizzle's repeats the query's parameters ("params: …"), Postgres
 * quotes the input it refused and the key that conflicted, a failed fetch names its URL.
 */
export function loggableError(error: unknown, depth = 0): Record<string, unknown> {
  if (!(error instanceof Error)) return { error: typeof error };
  const fields: Record<string, unknown> = { error: error.name };
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') fields.code = code;
  // The statement as written, with placeholders ($1, $2…) where the values went.
  if (error instanceof DrizzleQueryError) fields.query = error.query;
  fields.stack = framesOf(error);
  if (error.cause !== undefined && depth < 3) fields.cause = loggableError(error.cause, depth + 1);
  return fields;
}

/**
 * An error's kind and code, and its causes', in one line ("DrizzleQueryError < PostgresError:3D000"):
 * a message for what other processes keep and show (BullMQ's failedReason), which never quotes values.
 */
export function errorKinds(error: unknown, depth = 0): string {
  if (!(error instanceof Error)) return typeof error;
  const code = (error as { code?: unknown }).code;
  const kind = typeof code === 'string' || typeof code === 'number' ? `${error.name}:${code}` : error.name;
  return error.cause !== undefined && depth < 3 ? `${kind} < ${errorKinds(error.cause, depth + 1)}` : kind;
}

/** The stack's "at …" lines only: what comes before them is the message, which may span lines. */
function framesOf(error: Error): string | undefined {
  const stack = error.stack;
  if (!stack) return undefined;
  const at = error.message ? stack.indexOf(error.message) : -1;
  const rest = at === -1 ? stack : stack.slice(at + error.message.length);
  return rest
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .join('\n');
}

import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { AppError, loggableError, type FieldError, Problem } from '../errors.js';
import { serviceUnavailable, unavailable } from '../dependencies.js';

/** Renders every error as application/problem+json; the only place that turns errors into HTTP. */

interface ValidationIssue {
  instancePath: string;
  message?: string;
  params?: Record<string, unknown>;
}

function fieldOf(issue: ValidationIssue): string {
  const extra = issue.params?.missingProperty ?? issue.params?.additionalProperty;
  return typeof extra === 'string' ? `${issue.instancePath}/${extra}` : issue.instancePath || '/';
}

function messageOf(issue: ValidationIssue): string {
  if (issue.params?.additionalProperty) return 'is not a known property';
  if (Array.isArray(issue.params?.allowedValues)) return `must be one of: ${issue.params.allowedValues.join(', ')}`;
  return issue.message ?? 'is invalid';
}

function validationProblem(error: FastifyError): AppError {
  const issues = (error.validation ?? []) as ValidationIssue[];
  const where = error.validationContext ?? 'request';
  // Errors of one field often come in pairs (e.g. type and enum); name each field once.
  const byField = new Map<string, FieldError>();
  for (const issue of issues) {
    const field = fieldOf(issue);
    if (!byField.has(field)) byField.set(field, { field, message: messageOf(issue) });
  }
  const errors = [...byField.values()];
  if (where === 'params') return new AppError(404, 'not-found', 'Not found', 'No such resource');
  const fields = errors.map((e) => e.field).join(', ');
  return new AppError(400, 'validation', 'Invalid request', `Invalid ${where}: ${fields}`, errors);
}

/** Fastify's messages for these quote the path, which may carry an account id or a download token. */
const PATH_ERRORS: Record<string, string> = {
  FST_ERR_BAD_URL: 'The path is not a valid URL',
  FST_ERR_MAX_PARAM_LENGTH: 'A path segment is too long',
};

function toAppError(error: FastifyError): AppError {
  if (error instanceof AppError) return error;
  if (error.validation) return validationProblem(error);
  const pathError = PATH_ERRORS[error.code];
  if (pathError && error.statusCode) {
    return new AppError(error.statusCode, 'bad-request', STATUS_CODES[error.statusCode] ?? 'Bad request', pathError);
  }
  // Postgres or Redis down is no bug of ours: the caller comes back later (a 503, never a 500).
  const dependency = unavailable(error);
  if (dependency) return serviceUnavailable(dependency);
  const status = error.statusCode ?? 500;
  if (status === 413) return new AppError(413, 'payload-too-large', 'Payload too large', error.message);
  if (status >= 400 && status < 500) {
    return new AppError(status, 'bad-request', STATUS_CODES[status] ?? 'Bad request', error.message);
  }
  return new AppError(500, 'internal', 'Internal server error', 'Something went wrong; the error was logged');
}

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  return reply.code(problem.status).type('application/problem+json').send(JSON.stringify(problem));
}

type ErrorHandler = (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => FastifyReply;

/**
 * The error handler; also fastify's `frameworkErrors`, for what it answers before any route or hook
 * runs (a broken escape in the path, a path parameter over maxParamLength).
 */
export function errorHandler(retryAfterSeconds: number): ErrorHandler {
  return (error, request, reply) => {
    const appError = toAppError(error);
    if (appError.status >= 500) request.log.error(loggableError(error), 'request failed');
    if (appError.status === 503) reply.header('retry-after', String(retryAfterSeconds));
    return sendProblem(reply, appError.toProblem());
  };
}

/** `retryAfterSeconds`: how long a caller waits before asking again while a dependency is down (a 503's Retry-After). */
export function registerProblemHandlers(app: FastifyInstance, retryAfterSeconds: number): void {
  // The one schema of every problem answer (openapi.ts problems() refers to it).
  app.addSchema(Problem);
  const handleError = errorHandler(retryAfterSeconds);
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((_request, reply) =>
    sendProblem(reply, new AppError(404, 'not-found', 'Not found', 'No such route').toProblem()),
  );
}

import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { AppError } from '../errors.js';

/**
 * What Node's HTTP parser refuses before fastify sees a request (headers over the limit, a request too
 * slow to arrive, bytes that are not HTTP), answered as problem+json like every other error. fastify's
 * own handler answers these in a JSON shape of its own.
 */

function problemOf(error: Error & { code?: string }): AppError {
  if (error.code === 'HPE_HEADER_OVERFLOW') return new AppError(431, 'headers-too-large', STATUS_CODES[431] ?? '', 'The request headers are too large');
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return new AppError(408, 'request-timeout', STATUS_CODES[408] ?? '', 'The request took too long to arrive');
  return new AppError(400, 'bad-request', 'Bad request', 'The request is not valid HTTP');
}

/** fastify's `clientErrorHandler`. */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  // A connection reset or already closed: there is no one to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const problem = problemOf(error);
    const body = JSON.stringify(problem.toProblem());
    socket.write(
      `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status]}\r\nContent-Type: application/problem+json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${randomUUID()}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

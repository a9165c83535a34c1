import type { IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * X-Request-Id: a caller (or a proxy in front) may name its call; the id is echoed on the response and is
 * the `reqId` of every log line of the call. Only a short id of plain characters is taken, since it goes
 * into the logs as it is (no line breaks, no email addresses); anything else gets an id of our own.
 */

const HEADER = 'x-request-id';
const WELL_FORMED = /^[A-Za-z0-9._:=+/-]{1,128}$/;

/** fastify's `genReqId`. */
export function requestIdOf(raw: IncomingMessage): string {
  const given = raw.headers[HEADER];
  return typeof given === 'string' && WELL_FORMED.test(given) ? given : randomUUID();
}

export function echoRequestId(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return reply.header(HEADER, request.id);
}

export function registerRequestIds(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    echoRequestId(request, reply);
  });
}

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Readable } from 'node:stream';
import Type from 'typebox';
import { Problem } from '../errors.js';
import { RequestIdParams } from '../requests/schemas.js';
import { etagOf, RangeNotSatisfiable, type Delivery, type DeliveryService, type DownloadAsk } from './delivery-service.js';
import { CreateLinkBody, DownloadList, FileResponse, LinkView, ReportQuery, TokenParams } from './schemas.js';

/** Thin routes: validate (schemas), authorize (tenant from the key, or a signed link), call the service. */

const RangeHeaders = Type.Object({
  range: Type.Optional(Type.String({ description: 'One byte range, e.g. bytes=0-1048575 or bytes=1048576- to resume' })),
  'if-range': Type.Optional(Type.String({ description: 'The ETag of the copy being resumed; another ETag gets the whole file' })),
});

const fileResponses = {
  200: FileResponse,
  206: FileResponse,
  404: Problem,
  410: Problem,
  416: Problem,
};

/** The owner's routes, inside the authenticated /v1 scope. */
export async function deliveryRoutes(scope: FastifyInstance, service: DeliveryService): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  const security = [{ apiKey: [] }];
  const errors = { 400: Problem, 401: Problem, 404: Problem };

  app.get(
    '/requests/:id/report',
    {
      schema: {
        tags: ['delivery'],
        summary: 'Download the result: a zip (access, export) or a JSON erasure receipt (deletion); ranges resume',
        security,
        params: RequestIdParams,
        querystring: ReportQuery,
        headers: RangeHeaders,
        response: { ...fileResponses, ...errors, 409: Problem },
      },
    },
    async (request, reply) =>
      send(reply, () => service.ownerDownload(request.tenantId, request.params.id, apiKeyOf(request), askOf(request, request.query))),
  );

  app.post(
    '/requests/:id/links',
    {
      schema: {
        tags: ['delivery'],
        summary: 'Create a link that downloads the result without an API key, for the data subject',
        security,
        params: RequestIdParams,
        body: CreateLinkBody,
        response: { 201: LinkView, ...errors, 409: Problem, 410: Problem },
      },
    },
    async (request, reply) => {
      const origin = `${request.protocol}://${request.host}`;
      const link = await service.createLink(request.tenantId, request.params.id, apiKeyOf(request), request.body, origin);
      return reply.code(201).send(link);
    },
  );

  app.get(
    '/requests/:id/downloads',
    {
      schema: {
        tags: ['delivery'],
        summary: 'Every download of the result: by which key or link, when, which part and bytes',
        security,
        params: RequestIdParams,
        response: { 200: DownloadList, ...errors },
      },
    },
    async (request) => service.listDownloads(request.tenantId, request.params.id),
  );
}

/** The link route: outside /v1, the signed token is the only credential. */
export async function linkRoutes(scope: FastifyInstance, service: DeliveryService): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/downloads/:token',
    {
      // The token is a credential: the request line in the log names the route, never the URL.
      logSerializers: { req: (req: FastifyRequest) => ({ method: req.method, url: '/downloads/{token}', remoteAddress: req.ip }) },
      schema: {
        tags: ['delivery'],
        summary: 'Download a result through a link; ranges resume',
        params: TokenParams,
        querystring: ReportQuery,
        headers: RangeHeaders,
        response: { ...fileResponses, 400: Problem, 403: Problem },
      },
    },
    async (request, reply) => send(reply, () => service.linkDownload(request.params.token, askOf(request, request.query))),
  );
}

/** The caller's key; the /v1 auth hook has already checked it. */
function apiKeyOf(request: FastifyRequest): string {
  return (request.headers.authorization ?? '').replace(/^Bearer /, '');
}

function askOf(request: FastifyRequest, query: ReportQuery): DownloadAsk {
  return {
    part: query.part,
    range: request.headers.range,
    ifRange: header(request.headers['if-range']),
    head: request.method === 'HEAD',
  };
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

async function send(reply: FastifyReply, deliver: () => Promise<Delivery>): Promise<FastifyReply> {
  let delivery: Delivery;
  try {
    delivery = await deliver();
  } catch (err) {
    if (err instanceof RangeNotSatisfiable) reply.header('content-range', `bytes */${err.size}`);
    throw err;
  }
  const { file, range, body } = delivery;
  reply
    .code(range ? 206 : 200)
    .type(file.mediaType)
    .header('accept-ranges', 'bytes')
    .header('content-length', range ? range.end - range.start + 1 : file.size)
    .header('content-disposition', `attachment; filename="${file.fileName}"`)
    .header('digest', `sha-256=${Buffer.from(file.sha256, 'hex').toString('base64')}`)
    .header('etag', etagOf(file))
    // Personal data: no shared cache keeps it, and no browser guesses another type for it.
    .header('cache-control', 'private, no-store')
    .header('x-content-type-options', 'nosniff');
  if (range) reply.header('content-range', `bytes ${range.start}-${range.end}/${file.size}`);
  // HEAD has no body; fastify keeps a HEAD's Content-Length only when the payload is a stream.
  return reply.send(body ?? Readable.from([]));
}

import { actorOf } from '../auth/principal.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Readable } from 'node:stream';
import Type from 'typebox';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { keyIdOf } from '../results/receipt/receipt-signing.js';
import type { ArchiveEntryContent } from '../results/zip/archive-reader.js';
import { Problem } from '../errors.js';
import { RequestIdParams } from '../requests/schemas.js';
import { etagOf, RangeNotSatisfiable, REPORT_INDEX, type Delivery, type DeliveryService, type DownloadAsk } from './delivery-service.js';
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
const ReceiptKey = Type.Object({
  algorithm: Type.Literal('Ed25519'),
  keyId: Type.String({ description: 'First 16 hex digits of the SHA-256 of the key (SPKI DER); receipts name it' }),
  publicKeyPem: Type.String(),
});

export async function deliveryRoutes(
  scope: FastifyInstance,
  service: DeliveryService,
  receiptSigningKey: KeyObject,
): Promise<void> {
  const publicKey = createPublicKey(receiptSigningKey);
  const receiptKey = {
    algorithm: 'Ed25519' as const,
    keyId: keyIdOf(publicKey),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  const security = [{ apiKey: [] }];
  const errors = { 400: Problem, 401: Problem, 404: Problem };

  app.get(
    '/requests/:id/report',
    {
      config: { permission: 'requests:download' },
      schema: {
        tags: ['delivery'],
        summary: 'Download the result: a zip (access, export) or a JSON receipt (deletion, correction); ranges resume',
        security,
        params: RequestIdParams,
        querystring: ReportQuery,
        headers: RangeHeaders,
        response: { ...fileResponses, ...errors, 409: Problem },
      },
    },
    async (request, reply) =>
      send(reply, () => service.ownerDownload(request.tenantId, request.params.id, askOf(request, request.query), actorOf(request.principal, request.ip))),
  );

  app.get(
    '/requests/:id/report/view/*',
    {
      config: { permission: 'requests:download' },
      schema: {
        tags: ['delivery'],
        summary: 'View the access report online: index.html and every page and file it links to, from the stored archive',
        security,
        params: Type.Object({ id: RequestIdParams.properties.id, '*': ViewPath }),
        response: { 200: FileResponse, ...errors, 409: Problem, 410: Problem },
      },
    },
    async (request, reply) => view(reply, request.params['*'], (path) => service.ownerView(request.tenantId, request.params.id, path, actorOf(request.principal, request.ip))),
  );

  app.get(
    '/requests/:id/receipt',
    {
      config: { permission: 'requests:download' },
      schema: {
        tags: ['delivery'],
        summary: 'The receipt of a deletion (certificate of erasure) or of a correction as a readable page (the JSON is its report)',
        security,
        params: RequestIdParams,
        response: { 200: Type.String({ description: 'text/html' }), ...errors, 409: Problem, 410: Problem },
      },
    },
    async (request, reply) => {
      const page = await service.receiptHtml(request.tenantId, request.params.id);
      return asResultContent(reply).type('text/html; charset=utf-8').send(page);
    },
  );

  app.get(
    '/receipts/public-key',
    {
      config: { permission: 'requests:download' },
      schema: {
        tags: ['delivery'],
        summary: 'The Ed25519 public key that verifies deletion receipts (signature over the digest)',
        security,
        response: { 200: ReceiptKey, 401: Problem },
      },
    },
    async () => receiptKey,
  );

  app.post(
    '/requests/:id/links',
    {
      config: { permission: 'links:create' },
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
      const asked = { protocol: request.protocol, host: request.host };
      const link = await service.createLink(request.tenantId, request.params.id, request.body, asked, actorOf(request.principal, request.ip));
      return reply.code(201).send(link);
    },
  );

  app.get(
    '/requests/:id/downloads',
    {
      config: { permission: 'requests:read' },
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
      schema: {
        tags: ['delivery'],
        summary: 'Download a result through a link; ranges resume',
        params: TokenParams,
        querystring: ReportQuery,
        headers: RangeHeaders,
        response: { ...fileResponses, 400: Problem, 403: Problem },
      },
    },
    async (request, reply) => send(reply, () => service.linkDownload(request.params.token, askOf(request, request.query), request.ip)),
  );

  app.get(
    '/downloads/:token/view/*',
    {
      schema: {
        tags: ['delivery'],
        summary: 'View the access report online through a link (for a browser: no API key needed)',
        params: Type.Object({ token: TokenParams.properties.token, '*': ViewPath }),
        response: { 200: FileResponse, 400: Problem, 403: Problem, 404: Problem, 409: Problem, 410: Problem },
      },
    },
    async (request, reply) => view(reply, request.params['*'], (path) => service.linkView(request.params.token, path, request.ip)),
  );
}

const ViewPath = Type.String({ maxLength: 1024, description: 'Path inside the archive; empty for index.html' });

/**
 * The headers of every response that carries result content (a download, a page or file of the
 * report, a receipt): personal data that no shared cache keeps and no browser guesses another type
 * for, and nothing in it (a file a subject uploaded, say) runs as a page of this origin.
 */
function asResultContent(reply: FastifyReply): FastifyReply {
  return reply
    .header('cache-control', 'private, no-store')
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', "script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
}

/** Serves one archive entry. The report's own links are relative, so they resolve under the same prefix. */
async function view(reply: FastifyReply, path: string, read: (path: string) => Promise<ArchiveEntryContent>) {
  if (path === '') return reply.redirect(REPORT_INDEX);
  const entry = await read(path);
  return asResultContent(reply)
    .type(entry.mediaType)
    .header('content-length', entry.size)
    .header('content-disposition', entry.disposition)
    .send(entry.stream);
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
  asResultContent(reply)
    .code(range ? 206 : 200)
    .type(file.mediaType)
    .header('accept-ranges', 'bytes')
    .header('content-length', range ? range.end - range.start + 1 : file.size)
    .header('content-disposition', `attachment; filename="${file.fileName}"`)
    .header('digest', `sha-256=${Buffer.from(file.sha256, 'hex').toString('base64')}`)
    .header('etag', etagOf(file));
  if (range) reply.header('content-range', `bytes ${range.start}-${range.end}/${file.size}`);
  // HEAD has no body; fastify keeps a HEAD's Content-Length only when the payload is a stream.
  return reply.send(body ?? Readable.from([]));
}

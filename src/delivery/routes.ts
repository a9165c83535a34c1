import { actorOf } from '../auth/principal.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Readable } from 'node:stream';
import Type from 'typebox';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { keyIdOf } from '../results/receipt/receipt-signing.js';
import type { ArchiveEntryContent } from '../results/zip/archive-reader.js';
import { Binary, content, empty, responseHeader, json, problems, withExample } from '../http/openapi.js';
import { DeletionReceipt } from '../results/receipt/deletion-receipt.js';
import { RequestIdParams } from '../requests/schemas.js';
import { etagOf, RangeNotSatisfiable, REPORT_INDEX, type Delivery, type DeliveryService, type DownloadAsk } from './delivery-service.js';
import { CreateLinkBody, DELIVERY_EXAMPLES, DownloadList, LinkView, ReportQuery, TokenParams } from './schemas.js';

/** Thin routes: validate (schemas), authorize (tenant from the key, or a signed link), call the service. */

const RangeHeaders = Type.Object({
  range: Type.Optional(Type.String({ description: 'One byte range, e.g. bytes=0-1048575 or bytes=1048576- to resume' })),
  'if-range': Type.Optional(Type.String({ description: 'The ETag of the copy being resumed; another ETag gets the whole file' })),
});

const resultHeaders = { 'Cache-Control': responseHeader.cacheControl, 'Content-Disposition': responseHeader.contentDisposition };
const fileHeaders = { ...resultHeaders, ETag: responseHeader.etag, 'Accept-Ranges': responseHeader.acceptRanges, Digest: responseHeader.digest };

/** A result file, whole or a range of it, and what refuses it. */
const fileResponses = {
  200: content(
    'The result: a zip (access, export) or the signed erasure receipt (deletion)',
    { 'application/zip': Binary, 'application/json': DeletionReceipt },
    { headers: fileHeaders, examples: { 'application/json': DELIVERY_EXAMPLES.receipt } },
  ),
  206: content(
    'The range asked for',
    { 'application/zip': Binary, 'application/json': Binary },
    { headers: { ...fileHeaders, 'Content-Range': responseHeader.contentRange } },
  ),
  ...problems(404, 409, 410, 416),
};

/** A page or file of the access report, from the stored archive; its own links are relative to it. */
const viewResponses = {
  200: content('A page or file of the report, of its own media type', { 'text/html': Type.String(), '*/*': Binary }, { headers: resultHeaders }),
  302: empty('An empty path: to the report\'s index.html', { Location: responseHeader.reportIndex }),
  ...problems(404, 409, 410),
};

const ReceiptKey = Type.Object({
  algorithm: Type.Literal('Ed25519'),
  keyId: Type.String({ description: 'First 16 hex digits of the SHA-256 of the key (SPKI DER); receipts name it' }),
  publicKeyPem: Type.String(),
});

const RECEIPT_KEY_EXAMPLE = {
  algorithm: 'Ed25519',
  keyId: '3f5a9c1e7b2d4f60',
  publicKeyPem: '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n',
};

/** The owner's routes, inside the authenticated /v1 scope. */
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

  app.get(
    '/requests/:id/report',
    {
      config: { permission: 'requests:download' },
      schema: {
        operationId: 'downloadResult',
        tags: ['delivery'],
        summary: 'Download the result: a zip (access, export) or a JSON receipt (deletion, correction); ranges resume',
        description:
          '409: the request has not ended, or its result waits for release (an agent previews it here). 410: the result ' +
          'was deleted (retention, or erasure). A Range resumes a download; If-Range with the ETag makes sure it is the same file.',
        security,
        params: RequestIdParams,
        querystring: ReportQuery,
        headers: RangeHeaders,
        response: fileResponses,
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
        operationId: 'viewReport',
        tags: ['delivery'],
        summary: 'View the access report online: index.html and every page and file it links to, from the stored archive',
        description: 'An access request only (404 otherwise); 409 and 410 as for the download.',
        security,
        params: Type.Object({ id: RequestIdParams.properties.id, '*': ViewPath }),
        response: viewResponses,
      },
    },
    async (request, reply) => view(reply, request.params['*'], (path) => service.ownerView(request.tenantId, request.params.id, path, actorOf(request.principal, request.ip))),
  );

  app.get(
    '/requests/:id/receipt',
    {
      config: { permission: 'requests:download' },
      schema: {
        operationId: 'getDeletionReceipt',
        tags: ['delivery'],
        summary: 'The receipt of a deletion (certificate of erasure) or of a correction as a readable page (the JSON is its report)',
        description: 'A deletion or correction request only (404 otherwise); 409 until it has ended, 410 once the receipt was deleted.',
        security,
        params: RequestIdParams,
        response: { 200: content('The certificate, as a page', { 'text/html': Type.String() }, { headers: resultHeaders }), ...problems(409, 410) },
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
        operationId: 'getReceiptPublicKey',
        tags: ['delivery'],
        summary: 'The Ed25519 public key that verifies deletion receipts (signature over the digest)',
        description: 'Receipts name the key that signed them by its keyId.',
        security,
        response: { 200: json(ReceiptKey, 'The key', { example: RECEIPT_KEY_EXAMPLE }) },
      },
    },
    async () => receiptKey,
  );

  app.post(
    '/requests/:id/links',
    {
      config: { permission: 'links:create' },
      schema: {
        operationId: 'createDownloadLink',
        tags: ['delivery'],
        summary: 'Create a link that downloads the result without an API key, for the data subject',
        description: 'The link is signed and expires; 409 and 410 as for the download.',
        security,
        params: RequestIdParams,
        body: withExample(CreateLinkBody, DELIVERY_EXAMPLES.createLink),
        response: { 201: json(LinkView, 'The link', { example: DELIVERY_EXAMPLES.link }), ...problems(409, 410) },
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
        operationId: 'listDownloads',
        tags: ['delivery'],
        summary: 'Every download of the result: by which key or link, when, which part and bytes',
        description: 'Oldest first.',
        security,
        params: RequestIdParams,
        response: { 200: json(DownloadList, 'The downloads', { example: DELIVERY_EXAMPLES.downloads }) },
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
        operationId: 'downloadResultByLink',
        tags: ['delivery'],
        summary: 'Download a result through a link; ranges resume',
        description: 'For the data subject: the signed token is the only credential. 403: not a valid link; 410: expired or used up.',
        security: [],
        params: TokenParams,
        querystring: ReportQuery,
        headers: RangeHeaders,
        response: { ...fileResponses, ...problems(403, 503) },
      },
    },
    async (request, reply) => send(reply, () => service.linkDownload(request.params.token, askOf(request, request.query), request.ip)),
  );

  app.get(
    '/downloads/:token/view/*',
    {
      schema: {
        operationId: 'viewReportByLink',
        tags: ['delivery'],
        summary: 'View the access report online through a link (for a browser: no API key needed)',
        description: 'As viewReport, with the link as the credential (403: not a valid link; 410: expired or used up).',
        security: [],
        params: Type.Object({ token: TokenParams.properties.token, '*': ViewPath }),
        response: { ...viewResponses, ...problems(400, 403, 503) },
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

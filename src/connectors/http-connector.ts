import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import type { Logger } from 'pino';
import { Compile } from 'typebox/compile';
import type { BlobStore } from '../blobs/blob-store.js';
import { connectorFilesPrefix } from '../blobs/keys.js';
import { ByteMeter } from '../blobs/byte-meter.js';
import { itemIds } from '../catalogue/catalogue.js';
import type { FeatureId } from '../catalogue/schema.js';
import type {
  AdapterContext,
  CollectedRecord,
  DatasetDescription,
  ErasureOutcome,
  FeatureAdapter,
  FileRef,
  Subject,
} from '../features/adapter.js';
import {
  AccessPage,
  CountResponse,
  DatasetsResponse,
  ErasureReceipt,
  type AccessBody,
  type RemoteFile,
  type SubjectBody,
} from './connector-schemas.js';
import { SIGNATURE_HEADER, sign, TIMESTAMP_HEADER, verify, type SignedMessage } from './signing.js';
import { OutboundRefused, type OutboundGuard } from '../outbound/guard.js';

/**
 * An adapter for a feature whose data this backend cannot query: the feature service implements
 * openapi/feature-connector.yaml and the connector calls it over HTTP, signing every request.
 * Whatever comes back is validated before it is used; errors name the feature and what failed,
 * never a response body (it may hold personal data).
 */

export interface HttpConnectorOptions {
  /** Where the contract's paths start, e.g. `https://approval.internal/` (a base path is kept). */
  baseUrl: string;
  /** The shared HMAC secret (at least 16 characters). */
  secret: string;
  /** Every call goes through it (src/outbound/guard.ts). */
  outbound: OutboundGuard;
  /** Per HTTP call; for a file download, the longest wait for the next bytes. Default 10 s. */
  timeoutMs?: number;
  /** Extra attempts after a network error, a timeout, a 5xx or a 429. Default 2. */
  retries?: number;
  /** Most access pages one collect follows, so a cursor chain that never ends fails. Default 10 000. */
  pageLimit?: number;
  /** Largest file accepted. Default 512 MiB. */
  maxFileBytes?: number;
}

/** The task may pass its request id; the feature service then sees one id across attempts. */
export interface ConnectorContext extends AdapterContext {
  requestId?: string;
}

type ConnectorErrorCode =
  | 'CONNECTOR_HTTP'
  | 'CONNECTOR_TIMEOUT'
  | 'CONNECTOR_NETWORK'
  | 'CONNECTOR_SIGNATURE'
  | 'CONNECTOR_INVALID'
  | 'CONNECTOR_FILE'
  /** The outbound guard refused the target; the same for every forbidden one. */
  | 'OUTBOUND_REFUSED';

/** What the task records and logs (its `code` is what `errorKind` logs). */
class ConnectorError extends Error {
  override name = 'ConnectorError';
  constructor(
    message: string,
    readonly code: ConnectorErrorCode,
  ) {
    super(message);
  }
}

/** One failed HTTP attempt; `withRetries` decides whether to try again and turns it into a ConnectorError. */
class Failure extends Error {
  constructor(
    message: string,
    readonly code: ConnectorErrorCode,
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

interface Client {
  feature: FeatureId;
  base: URL;
  secret: string;
  outbound: OutboundGuard;
  timeoutMs: number;
  retries: number;
  pageLimit: number;
  maxFileBytes: number;
}

const MAX_JSON_BYTES = 16 * 1024 * 1024;
const BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 5000;
const SAFE_ID = /^[A-Za-z0-9_-]{1,128}$/;
const MAX_PROBLEMS = 3;

const checkDatasets = Compile(DatasetsResponse);
const checkPage = Compile(AccessPage);
const checkCounts = Compile(CountResponse);
const checkReceipt = Compile(ErasureReceipt);

export function httpConnectorAdapter(feature: FeatureId, options: HttpConnectorOptions): FeatureAdapter {
  const client = makeClient(feature, options);
  let datasets: DatasetDescription[] = [];
  const describe = async (ctx: AdapterContext) => (datasets = await fetchDatasets(client, ctx.log));
  return {
    feature,
    // Known once describe() ran; the service may change them between requests.
    get datasets() {
      return datasets;
    },
    describe,
    locate: async (subject, ctx: ConnectorContext) => count(client, await describe(ctx), subject, ctx),
    collect: (subject, ctx: ConnectorContext) => collect(client, describe, subject, ctx),
    erase: async (subject, ctx: ConnectorContext) => erase(client, await describe(ctx), subject, ctx),
  };
}

function makeClient(feature: FeatureId, options: HttpConnectorOptions): Client {
  const fail = (what: string) => new Error(`connector for ${feature}: ${what}`);
  if (!URL.canParse(options.baseUrl)) throw fail('baseUrl is not a URL');
  const base = new URL(options.baseUrl);
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw fail('baseUrl must be http or https');
  if (base.username || base.password || base.search || base.hash) throw fail('baseUrl must have no credentials, query or fragment');
  if (options.secret.length < 16) throw fail('secret must be at least 16 characters');
  // Contract paths are resolved relative to the base, so a base path must end with a slash to be kept.
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  const client = {
    feature,
    base,
    secret: options.secret,
    outbound: options.outbound,
    timeoutMs: options.timeoutMs ?? 10_000,
    retries: options.retries ?? 2,
    pageLimit: options.pageLimit ?? 10_000,
    maxFileBytes: options.maxFileBytes ?? 512 * 1024 * 1024,
  };
  const { timeoutMs, retries, pageLimit, maxFileBytes } = client;
  if (!(timeoutMs > 0 && retries >= 0 && pageLimit >= 1 && maxFileBytes >= 0)) {
    throw fail('timeoutMs, retries, pageLimit and maxFileBytes must be positive numbers');
  }
  return client;
}

// ---- the four operations ------------------------------------------------------------------

async function fetchDatasets(client: Client, log: Logger): Promise<DatasetDescription[]> {
  const what = 'dataset list';
  const response = checked(client, what, checkDatasets, await callJson(client, log, 'GET', 'dsar/v1/datasets', what));
  reject(client, what, datasetProblems(client.feature, response));
  return response.datasets;
}

async function count(client: Client, datasets: DatasetDescription[], subject: Subject, ctx: ConnectorContext) {
  const what = 'count';
  const body: SubjectBody = { requestId: runId(ctx), ...subject };
  const response = checked(client, what, checkCounts, await callJson(client, ctx.log, 'POST', 'dsar/v1/count', what, body));
  const names = new Set(datasets.map((d) => d.name));
  reject(client, what, Object.keys(response.counts).some((n) => !names.has(n)) ? ['/counts names a dataset not described'] : []);
  return response.counts;
}

async function* collect(
  client: Client,
  describe: (ctx: AdapterContext) => Promise<DatasetDescription[]>,
  subject: Subject,
  ctx: ConnectorContext,
): AsyncGenerator<CollectedRecord> {
  const columns = new Map((await describe(ctx)).map((d) => [d.name, new Set(d.columns)]));
  const requestId = runId(ctx);
  const prefix = connectorFilesPrefix(client.feature, requestId);
  await ctx.blobs.deletePrefix(prefix); // what a failed attempt left
  try {
    let files = 0;
    for await (const page of accessPages(client, ctx.log, { requestId, ...subject })) {
      reject(client, 'access page', recordProblems(columns, page));
      for (const { dataset, row, file } of page.records) {
        if (!file) yield { dataset, row };
        else yield { dataset, row, file: await fetchFile(client, ctx, file, prefix, ++files) };
      }
    }
  } catch (err) {
    // Copies of the subject's files are only worth keeping for a collect that finished.
    await ctx.blobs.deletePrefix(prefix);
    throw err;
  }
}

async function erase(client: Client, datasets: DatasetDescription[], subject: Subject, ctx: ConnectorContext): Promise<ErasureOutcome[]> {
  const what = 'erasure receipt';
  const body: SubjectBody = { requestId: runId(ctx), ...subject };
  const receipt = checked(client, what, checkReceipt, await callJson(client, ctx.log, 'POST', 'dsar/v1/erasure', what, body));
  reject(client, what, receiptProblems(client.feature, datasets, receipt));
  return receipt.datasets;
}

function runId(ctx: ConnectorContext): string {
  return ctx.requestId && SAFE_ID.test(ctx.requestId) ? ctx.requestId : randomUUID();
}

/** Follows the cursors one page at a time, so a subject is never held in memory whole. */
async function* accessPages(client: Client, log: Logger, subject: SubjectBody): AsyncGenerator<AccessPage> {
  const what = 'access page';
  let cursor: string | undefined;
  for (let n = 0; n < client.pageLimit; n++) {
    const body: AccessBody = cursor === undefined ? subject : { ...subject, cursor };
    const page = checked(client, what, checkPage, await callJson(client, log, 'POST', 'dsar/v1/access', what, body));
    yield page;
    if (page.nextCursor === null) return;
    reject(client, what, page.nextCursor === cursor ? ['/nextCursor repeats the cursor it answered'] : []);
    cursor = page.nextCursor;
  }
  throw new ConnectorError(`feature service ${client.feature}: access pages did not end within ${client.pageLimit} pages`, 'CONNECTOR_INVALID');
}

// ---- checks beyond the schemas ------------------------------------------------------------

interface Check<T> {
  Check(value: unknown): value is T;
  Errors(value: unknown): { instancePath: string; message: string }[];
}

function checked<T>(client: Client, what: string, validator: Check<T>, value: unknown): T {
  if (validator.Check(value)) return value;
  // One problem per place: a union reports each branch it tried, then itself (the message kept).
  const byPath = new Map(validator.Errors(value).map((e) => [e.instancePath, e.message]));
  return invalid(client, what, [...byPath].map(([path, message]) => `${path || '/'} ${message}`));
}

function reject(client: Client, what: string, problems: string[]): void {
  if (problems.length > 0) invalid(client, what, problems);
}

function invalid(client: Client, what: string, problems: string[]): never {
  const shown = problems.slice(0, MAX_PROBLEMS).join('; ');
  throw new ConnectorError(`feature service ${client.feature} returned an invalid ${what}: ${shown}`, 'CONNECTOR_INVALID');
}

/** Problems name places, not values: a value may be personal data. */
function datasetProblems(feature: FeatureId, response: DatasetsResponse): string[] {
  const catalogueItems = new Set(itemIds(feature));
  const problems: string[] = [];
  const names = new Set<string>();
  response.datasets.forEach((d, i) => {
    if (names.has(d.name)) problems.push(`/datasets/${i}/name is used twice`);
    names.add(d.name);
    if (new Set(d.columns).size !== d.columns.length) problems.push(`/datasets/${i}/columns repeats a column`);
    for (const [column, item] of Object.entries(d.items)) {
      if (!d.columns.includes(column)) problems.push(`/datasets/${i}/items names a column not in columns`);
      if (!catalogueItems.has(item)) problems.push(`/datasets/${i}/items names an item not in the ${feature} catalogue`);
    }
  });
  return problems;
}

function recordProblems(columns: Map<string, Set<string>>, page: AccessPage): string[] {
  const problems: string[] = [];
  page.records.forEach((r, i) => {
    const known = columns.get(r.dataset);
    if (!known) problems.push(`/records/${i}/dataset is not a described dataset`);
    else if (Object.keys(r.row).some((c) => !known.has(c))) problems.push(`/records/${i}/row has a column its dataset does not describe`);
  });
  return problems;
}

function receiptProblems(feature: FeatureId, datasets: DatasetDescription[], receipt: ErasureReceipt): string[] {
  const catalogueItems = new Set(itemIds(feature));
  const names = new Set(datasets.map((d) => d.name));
  const seen = new Set<string>();
  const problems: string[] = [];
  receipt.datasets.forEach((o, i) => {
    if (!names.has(o.dataset)) problems.push(`/datasets/${i}/dataset is not a described dataset`);
    if (seen.has(o.dataset)) problems.push(`/datasets/${i}/dataset is reported twice`);
    seen.add(o.dataset);
    if (o.items.some((item) => !catalogueItems.has(item))) problems.push(`/datasets/${i}/items names an item not in the ${feature} catalogue`);
  });
  return problems;
}

// ---- HTTP ---------------------------------------------------------------------------------

/** One JSON call with retries; returns the parsed body (not yet validated). */
async function callJson(client: Client, log: Logger, method: string, endpoint: string, what: string, body?: object): Promise<unknown> {
  const url = new URL(endpoint, client.base);
  const text = body === undefined ? undefined : JSON.stringify(body);
  const bytes = await withRetries(client, log, `${method} /${endpoint}`, () => jsonOnce(client, method, url, text));
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return invalid(client, what, ['not JSON']);
  }
}

async function jsonOnce(client: Client, method: string, url: URL, body: string | undefined): Promise<Buffer> {
  const signal = AbortSignal.timeout(client.timeoutMs);
  try {
    const response = await send(client, method, url, body, signal);
    const bytes = await readLimited(response, MAX_JSON_BYTES);
    verifyResponse(client, response, { method, path: target(url), body: bytes });
    return bytes;
  } catch (err) {
    throw asFailure(err, signal, client.timeoutMs);
  }
}

/** Sends a signed request; any status but 2xx becomes a Failure (the body is dropped unread). */
async function send(client: Client, method: string, url: URL, body: string | undefined, signal: AbortSignal): Promise<Response> {
  const headers: Record<string, string> = { ...sign(client.secret, { method, path: target(url), body: body ?? '' }) };
  if (body !== undefined) headers['content-type'] = 'application/json';
  // Redirects are not followed (the guard sends redirect: 'manual'): they could lead to another origin with our signed headers.
  const response = await client.outbound.fetch(url, { method, headers, body, signal });
  if (response.status >= 200 && response.status < 300) return response;
  await response.body?.cancel().catch(() => {});
  throw statusFailure(response);
}

function statusFailure(response: Response): Failure {
  const status = `HTTP ${response.status}`;
  if (response.status >= 500) return new Failure(status, 'CONNECTOR_HTTP', true);
  if (response.status === 429) return new Failure(status, 'CONNECTOR_HTTP', true, retryAfterMs(response));
  if (response.status === 401 || response.status === 403) {
    return new Failure(`${status} (request signature refused: check the shared secret and the clocks)`, 'CONNECTOR_SIGNATURE', false);
  }
  if (response.status >= 300 && response.status < 400) return new Failure(`${status} (redirects are not followed)`, 'CONNECTOR_HTTP', false);
  return new Failure(status, 'CONNECTOR_HTTP', false);
}

function retryAfterMs(response: Response): number | undefined {
  const seconds = Number(response.headers.get('retry-after') ?? NaN);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

/** Request target as on the request line: what both sides sign. */
function target(url: URL): string {
  return url.pathname + url.search;
}

/** Response signatures are optional in the contract; one that is present must be right. */
function verifyResponse(client: Client, response: Response, message: SignedMessage): void {
  const signature = response.headers.get(SIGNATURE_HEADER);
  if (signature === null) return;
  const result = verify(client.secret, message, { signature, timestamp: response.headers.get(TIMESTAMP_HEADER) });
  if (!result.ok) throw new Failure(`response signature refused (${result.reason})`, 'CONNECTOR_SIGNATURE', false);
}

async function readLimited(response: Response, limit: number): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of bodyOf(response) as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > limit) throw new Failure(`response larger than ${limit} bytes`, 'CONNECTOR_INVALID', false);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function bodyOf(response: Response): Readable {
  return response.body ? Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>) : Readable.from([]);
}

/** Turns what an attempt threw into a Failure; anything else (a blob store error) passes unchanged. */
function asFailure(err: unknown, signal: AbortSignal, timeoutMs: number): unknown {
  if (err instanceof Failure) return err;
  if (err instanceof OutboundRefused) return new Failure(`${err.message} (${err.kind})`, 'OUTBOUND_REFUSED', false);
  if (signal.aborted && (signal.reason as Error | undefined)?.name === 'TimeoutError') {
    return new Failure(`timed out after ${timeoutMs} ms`, 'CONNECTOR_TIMEOUT', true);
  }
  // fetch reports connection failures (and bodies cut short) as TypeError, with the socket error as cause.
  if (err instanceof TypeError) {
    const code = (err.cause as { code?: unknown } | undefined)?.code;
    return new Failure(typeof code === 'string' ? `network error (${code})` : 'network error', 'CONNECTOR_NETWORK', true);
  }
  return err;
}

async function withRetries<T>(client: Client, log: Logger, label: string, attempt: () => Promise<T>): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof Failure)) throw err;
      if (!err.retryable || n > client.retries) {
        const attempts = n > 1 ? ` after ${n} attempts` : '';
        throw new ConnectorError(`feature service ${client.feature}: ${label} failed${attempts}: ${err.message}`, err.code);
      }
      log.warn({ feature: client.feature, call: label, attempt: n, failure: err.message }, 'feature service call failed, retrying');
      await sleep(Math.min(err.retryAfterMs ?? BACKOFF_MS * 2 ** (n - 1) + Math.random() * BACKOFF_MS, MAX_BACKOFF_MS));
    }
  }
}

// ---- files --------------------------------------------------------------------------------

/** Streams file `n` of a collect into the feature blob store; the blob appears only if size and hash match. */
async function fetchFile(client: Client, ctx: AdapterContext, file: RemoteFile, prefix: string, n: number): Promise<FileRef> {
  const url = sameOrigin(client, file.url);
  if (file.size > client.maxFileBytes) {
    throw new ConnectorError(`feature service ${client.feature}: a file is larger than ${client.maxFileBytes} bytes`, 'CONNECTOR_FILE');
  }
  const key = `${prefix}/${n}`;
  const sha256 = await withRetries(client, ctx.log, `GET file ${n}`, () => downloadOnce(client, url, file, key, ctx.blobs));
  return { blobKey: key, name: file.name, mediaType: file.mediaType, size: file.size, sha256 };
}

/** File URLs come from the service; following one elsewhere would send signed requests (and trust bytes) off-site. */
function sameOrigin(client: Client, raw: string): URL {
  const refuse = () => new ConnectorError(`feature service ${client.feature} gave a file URL outside its own origin; refused`, 'CONNECTOR_FILE');
  let url: URL;
  try {
    url = new URL(raw, client.base);
  } catch {
    throw refuse();
  }
  if (url.origin !== client.base.origin || url.username || url.password) throw refuse();
  return url;
}

async function downloadOnce(client: Client, url: URL, file: RemoteFile, key: string, blobs: BlobStore): Promise<string> {
  const idle = idleTimeout(client.timeoutMs);
  const writer = await blobs.writer(key);
  try {
    const response = await send(client, 'GET', url, undefined, idle.signal);
    const tooLarge = () => new Failure('file larger than its declared size', 'CONNECTOR_FILE', false);
    const meter = new ByteMeter({ sha256: true, limit: { bytes: file.size, error: tooLarge }, onChunk: idle.touch });
    await pipeline(bodyOf(response), meter, writer.stream);
    const sha256 = meter.sha256();
    if (meter.size !== file.size) throw new Failure('file size differs from the declared size', 'CONNECTOR_FILE', false);
    if (file.sha256 && file.sha256 !== sha256) throw new Failure('file SHA-256 differs from the declared one', 'CONNECTOR_FILE', false);
    verifyResponse(client, response, { method: 'GET', path: target(url), body: { sha256 } });
    await writer.commit();
    return sha256;
  } catch (err) {
    await writer.abort();
    throw asFailure(err, idle.signal, client.timeoutMs);
  } finally {
    idle.stop();
  }
}

/** A large file may take longer than `ms` in all; what must not last longer is a silence. */
function idleTimeout(ms: number) {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const touch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(new DOMException('timed out', 'TimeoutError')), ms);
  };
  touch();
  return { signal: controller.signal, touch, stop: () => clearTimeout(timer) };
}

import { SYSTEM_ACTOR, type Actor } from '../auth/principal.js';
import type { Logger } from 'pino';
import { buffer } from 'node:stream/consumers';
import { parseDeletionReceipt, ReceiptReadError } from '../results/receipt/deletion-receipt.js';
import { parseCorrectionReceipt } from '../results/receipt/correction-receipt.js';
import { correctionReceiptHtml } from '../results/receipt/correction-receipt-html.js';
import { deletionReceiptHtml } from '../results/receipt/deletion-receipt-html.js';
import { readArchiveEntry, type ArchiveEntryContent } from '../results/zip/archive-reader.js';
import { pipeline, type Readable } from 'node:stream';
import { untilReadable, type BlobStore, type ByteRange } from '../blobs/blob-store.js';
import { ByteMeter } from '../blobs/byte-meter.js';
import type { RequestRow } from '../requests/tables.js';
import { AppError, badRequest, notFound } from '../errors.js';
import { isIPv6 } from 'node:net';
import { isResultDeleted, isTerminal } from '../requests/lifecycle.js';
import type { RequestRepository } from '../requests/repository.js';
import { deleteResult, wholeResult, type ResultFile } from '../requests/result-files.js';
import { deleteWorkFiles, type WorkFileStores } from '../requests/work-files.js';
import type { DeliveryRepository } from './repository.js';
import { parseRange, rangeStillValid } from './ranges.js';
import type { CreateLinkBody, DownloadList, DownloadView, LinkView } from './schemas.js';
import type { LinkSigner } from './signing.js';
import type { DownloadLinkRow, DownloadRow } from './tables.js';

/**
 * The rules of handing results out: to the owner's API key or through a signed link, whole or
 * by range, every download recorded; and of deleting them when their retention ends.
 */

const DAY_MS = 24 * 60 * 60 * 1000;
const EXPIRY_PAGE = 100;

export interface DownloadAsk {
  part?: number;
  /** The Range and If-Range headers. */
  range?: string;
  ifRange?: string;
  /** HEAD: headers only, nothing opened, counted or recorded. */
  head: boolean;
}

export interface Delivery {
  file: ResultFile;
  /** The bytes served (206); undefined for the whole file (200). */
  range?: ByteRange;
  /** Undefined for HEAD. */
  body?: Readable;
}

interface Downloader {
  apiKeyId?: string;
  linkId?: string;
}

export interface DeliveryOptions {
  linkTtlSeconds: number;
  resultTtlDays: number;
  /** Where links point; without it, the origin the link was asked for on. */
  publicBaseUrl?: string;
}

export class RangeNotSatisfiable extends AppError {
  constructor(readonly size: number) {
    super(416, 'range-not-satisfiable', 'Range not satisfiable', `The file has ${size} bytes`);
  }
}

const notReady = (row: RequestRow) =>
  new AppError(409, 'not-ready', 'Result not ready', `The request is ${row.status}; poll it until it ends`);
const notReleased = () =>
  new AppError(409, 'not-released', 'Result not released', 'The result is being reviewed by the support team before it is released');
const resultDeleted = (row: RequestRow) =>
  row.status === 'erased'
    ? new AppError(410, 'result-erased', 'Gone', "The result was deleted when the subject's data was erased")
    : new AppError(410, 'result-expired', 'Gone', 'The result was deleted when its retention ended');
// One answer for every token that is not genuine, so that guessing learns nothing.
const invalidLink = () => new AppError(403, 'invalid-link', 'Forbidden', 'This link is not valid');
const linkGone = () => new AppError(410, 'link-gone', 'Gone', 'This link has expired or has been used up');
const unreadable = () =>
  new AppError(500, 'result-unreadable', 'Internal server error', 'The stored result cannot be read; the error was logged');

/** The page a report view opens on; the rest are what it links to. */
export const REPORT_INDEX = 'index.html';

/** The scheme and Host header a link was asked for with. */
export interface AskedOrigin {
  protocol: string;
  host: string;
}

// A DNS name, an IPv4 address or a bracketed IPv6 address, and an optional port.
const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const HOST = new RegExp(`^(?:${LABEL}(?:\\.${LABEL})*|\\[(?<ipv6>[0-9a-f:.]+)\\])(?::(?<port>\\d{1,5}))?$`, 'i');

/**
 * The origin of a link asked for without PUBLIC_BASE_URL: the Host header, which the client sends,
 * so it must at least be a host[:port] and nothing that would change the URL or the page it lands in.
 */
function originOf({ protocol, host }: AskedOrigin): string {
  const match = HOST.exec(host);
  const { ipv6, port } = match?.groups ?? {};
  if (!match || (ipv6 !== undefined && !isIPv6(ipv6)) || (port !== undefined && Number(port) > 65535)) {
    throw badRequest('The Host header is not a valid host[:port]; set PUBLIC_BASE_URL to where links should point', [
      { field: 'host', message: 'is not a valid host[:port]' },
    ]);
  }
  return `${protocol}://${host}`;
}

export function etagOf(file: ResultFile): string {
  return `"${file.sha256}"`;
}

export class DeliveryService {
  constructor(
    private readonly repo: RequestRepository,
    private readonly store: DeliveryRepository,
    private readonly results: BlobStore,
    private readonly signer: LinkSigner,
    private readonly options: DeliveryOptions,
    private readonly log: Logger,
    /** Where a request's other work files are, deleted with its result (work-files.ts). */
    private readonly workStores: Omit<WorkFileStores, 'results'>,
  ) {}

  /** `actor`: the key or the data subject who downloads. */
  async ownerDownload(tenantId: string, requestId: string, ask: DownloadAsk, actor: Actor): Promise<Delivery> {
    const row = await this.requestOf(tenantId, requestId);
    const file = await this.fileOf(row, ask.part, previews(actor));
    const range = rangeOf(file, ask);
    if (ask.head) return { file, range };
    const body = await this.open(row, file, range);
    return { file, range, body: await this.recorded(row, { apiKeyId: keyIdOf(actor) }, file, range, body, actor) };
  }

  /** Downloads through a link are the link holder's: the trail records the system and the holder's address. */
  async linkDownload(token: string, ask: DownloadAsk, ip: string | null): Promise<Delivery> {
    const link = await this.genuineLink(token);
    if (!usable(link, new Date())) throw linkGone();
    const row = await this.repo.findById(link.requestId);
    if (!row) throw invalidLink();
    const file = await this.fileOf(row, ask.part);
    const range = rangeOf(file, ask);
    if (ask.head) return { file, range };
    const body = await this.open(row, file, range);
    // Counted in one statement, so two downloads at once cannot both take the last use.
    if (!(await this.store.useLink(link.id, new Date()))) {
      body.destroy();
      throw linkGone();
    }
    return { file, range, body: await this.recorded(row, { linkId: link.id }, file, range, body, { ...SYSTEM_ACTOR, ip }) };
  }

  /** `asked`: where the link was asked for, its origin when no PUBLIC_BASE_URL is set. */
  async createLink(tenantId: string, requestId: string, body: CreateLinkBody, asked: AskedOrigin, actor: Actor): Promise<LinkView> {
    const base = this.options.publicBaseUrl ?? originOf(asked);
    const row = await this.requestOf(tenantId, requestId);
    await this.fileOf(row);
    const link = await this.store.createLink({
      requestId: row.id,
      createdByKeyId: keyIdOf(actor) ?? null,
      expiresAt: new Date(Date.now() + (body.expiresInSeconds ?? this.options.linkTtlSeconds) * 1000),
      maxDownloads: body.maxDownloads ?? null,
    });
    await this.repo.event(row.id, 'link_created', undefined, { linkId: link.id }, actor);
    return {
      id: link.id,
      url: `${base}/downloads/${this.signer.sign(link.id)}`,
      expiresAt: link.expiresAt.toISOString(),
      maxDownloads: link.maxDownloads,
    };
  }

  async listDownloads(tenantId: string, requestId: string): Promise<DownloadList> {
    const row = await this.requestOf(tenantId, requestId);
    return { items: (await this.store.downloadsOf(row.id)).map(downloadView) };
  }

  /** Deletes the results past retention and moves their requests to `expired`. Safe to run twice at once. */
  async expireResults(now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - this.options.resultTtlDays * DAY_MS);
    let count = 0;
    for (let due = await this.repo.dueForExpiry(cutoff, EXPIRY_PAGE); due.length > 0; due = await this.repo.dueForExpiry(cutoff, EXPIRY_PAGE)) {
      for (const row of due) await this.expire(row.id);
      count += due.length;
    }
    return count;
  }

  /**
   * Expired first: from then on no download starts on what is about to be deleted. Then the work files
   * kept for a retry, and the result. One retried meanwhile (queued again) keeps both.
   */
  private async expire(requestId: string): Promise<void> {
    if (!(await this.repo.moveRequest(requestId, 'expire'))) {
      const row = await this.repo.findById(requestId);
      if (!row || !isResultDeleted(row.status)) return;
    }
    await deleteWorkFiles({ results: this.results, ...this.workStores }, requestId, await this.repo.tasksOf(requestId));
    await deleteResult(this.repo, this.results, requestId);
  }

  /** One file of the access report, read in place from the stored archive, for viewing it online. */
  async ownerView(tenantId: string, requestId: string, path: string, actor: Actor): Promise<ArchiveEntryContent> {
    const row = await this.requestOf(tenantId, requestId);
    const entry = await this.viewEntry(row, path, previews(actor));
    await this.recordView(row, path, {}, actor);
    return entry;
  }

  /**
   * The same through a link: a browser sends no API key for the images and pages the report links to,
   * so the link's token in the path is what authorizes them. Viewing does not use up downloads, but
   * is allowed only while the link could still download: once expired or used up, its views answer
   * 410 too. Each opening of the report (index.html) is recorded in the trail, not each image.
   */
  async linkView(token: string, path: string, ip: string | null): Promise<ArchiveEntryContent> {
    const link = await this.genuineLink(token);
    if (!usable(link, new Date())) throw linkGone();
    const row = await this.repo.findById(link.requestId);
    if (!row) throw invalidLink();
    const entry = await this.viewEntry(row, path);
    await this.recordView(row, path, { linkId: link.id }, { ...SYSTEM_ACTOR, ip });
    return entry;
  }

  private async recordView(row: RequestRow, path: string, by: Downloader, actor: Actor): Promise<void> {
    if (path === REPORT_INDEX) await this.repo.event(row.id, 'report_viewed', undefined, by.linkId ? { linkId: by.linkId } : undefined, actor);
  }

  /** The report is in the first part; files may be in any part of a split archive. */
  private async viewEntry(row: RequestRow, path: string, preview = false): Promise<ArchiveEntryContent> {
    if (row.type !== 'access') throw notFound('Viewable report');
    const whole = await this.fileOf(row, undefined, preview);
    const parts = await this.repo.parts(row.id);
    for (const key of parts.length > 0 ? parts.map((p) => p.key) : [whole.key]) {
      const entry = await readArchiveEntry(this.results, key, path);
      if (entry) return entry;
    }
    throw notFound('File in the report');
  }

  /** The deletion or correction receipt as a readable page, with its digest and how to verify it. */
  async receiptHtml(tenantId: string, requestId: string): Promise<string> {
    const row = await this.requestOf(tenantId, requestId);
    if (row.type !== 'deletion' && row.type !== 'correction') throw notFound('Receipt');
    const file = await this.fileOf(row);
    const bytes = await buffer(await this.open(row, file));
    try {
      if (row.type === 'deletion') return deletionReceiptHtml(parseDeletionReceipt(bytes));
      const receipt = parseCorrectionReceipt(JSON.parse(bytes.toString('utf8')));
      if (!receipt) throw new ReceiptReadError('the stored correction receipt is malformed');
      return correctionReceiptHtml(receipt);
    } catch (err) {
      // The message says what is wrong with the receipt, never what it holds (JSON.parse's would quote it).
      const error = err instanceof ReceiptReadError ? err.message : 'the stored receipt is not JSON';
      this.log.error({ requestId: row.id, error }, 'stored receipt unreadable');
      throw unreadable();
    }
  }

  private async requestOf(tenantId: string, requestId: string): Promise<RequestRow> {
    const row = await this.repo.find(tenantId, requestId);
    if (!row) throw notFound('Request');
    return row;
  }

  private async genuineLink(token: string): Promise<DownloadLinkRow> {
    const linkId = this.signer.verify(token);
    const link = linkId ? await this.store.link(linkId) : undefined;
    if (!link) throw invalidLink();
    return link;
  }

  /**
   * The result, or one part of it; no part asked for means the result itself. A result awaiting
   * release is seen by the support team only (`preview`), never by the subject or through a link.
   */
  private async fileOf(row: RequestRow, part?: number, preview = false): Promise<ResultFile> {
    if (isResultDeleted(row.status)) throw resultDeleted(row);
    if (row.status === 'awaiting_release' && !preview) throw notReleased();
    if (!isTerminal(row.status) && row.status !== 'awaiting_release') throw notReady(row);
    const whole = wholeResult(row);
    if (!whole) throw notFound(`Result of this ${row.status} request`);
    if (part === undefined) return whole;
    const parts = await this.repo.parts(row.id);
    const found = parts.length === 0 && part === 1 ? whole : parts.find((p) => p.part === part);
    if (!found) throw notFound(`Part ${part} of this result`);
    return found;
  }

  /** Opens the bytes and waits until they are readable, so a damaged result fails as a problem, not mid-body. */
  private async open(row: RequestRow, file: ResultFile, range?: ByteRange): Promise<Readable> {
    let body: Readable | undefined;
    try {
      if ((await this.results.size(file.key)) !== file.size) throw new Error('the stored size differs from the recorded one');
      body = this.results.get(file.key, range);
      await untilReadable(body);
      return body;
    } catch (err) {
      body?.destroy();
      this.log.error({ requestId: row.id, part: file.part, error: (err as Error).name }, 'stored result unreadable');
      throw unreadable();
    }
  }

  /** Records the download, then counts the bytes that go out and records them once the body closes. */
  private async recorded(
    row: RequestRow,
    by: Downloader,
    file: ResultFile,
    range: ByteRange | undefined,
    body: Readable,
    actor: Actor,
  ) {
    const served = range ?? { start: 0, end: file.size - 1 };
    let id: number;
    try {
      id = await this.store.recordDownload({ requestId: row.id, ...by, part: file.part, rangeStart: served.start, rangeEnd: served.end });
      await this.repo.event(row.id, 'result_downloaded', undefined, { downloadId: id, part: file.part }, actor);
    } catch (err) {
      body.destroy();
      throw err;
    }
    const counter = new ByteMeter();
    counter.once('close', () => {
      this.store.finishDownload(id, counter.size).catch((err: Error) => {
        this.log.error({ requestId: row.id, downloadId: id, error: err.name }, 'recording the bytes of a download failed');
      });
    });
    // A source error destroys the counter (the response ends early); a closed response destroys the source.
    pipeline(body, counter, () => undefined);
    return counter;
  }
}

function usable(link: DownloadLinkRow, now: Date): boolean {
  return link.expiresAt > now && (link.maxDownloads === null || link.downloads < link.maxDownloads);
}

function rangeOf(file: ResultFile, ask: DownloadAsk): ByteRange | undefined {
  if (!rangeStillValid(ask.ifRange, etagOf(file))) return undefined;
  const range = parseRange(ask.range, file.size);
  if (range === 'unsatisfiable') throw new RangeNotSatisfiable(file.size);
  return range;
}

function downloadView(row: DownloadRow): DownloadView {
  return {
    id: row.id,
    at: row.at.toISOString(),
    ...(row.apiKeyId ? { apiKeyId: row.apiKeyId } : {}),
    ...(row.linkId ? { linkId: row.linkId } : {}),
    part: row.part,
    range: { start: row.rangeStart, end: row.rangeEnd },
    bytesSent: row.bytesSent,
  };
}

/** The support team previews results awaiting release; a data subject waits for the release. */
function previews(actor: Actor): boolean {
  return actor.type === 'api_key';
}

/** The API key behind an actor; undefined for a data subject or the system. */
function keyIdOf(actor: Actor): string | undefined {
  return actor.type === 'api_key' && actor.id ? actor.id : undefined;
}

import { once } from 'node:events';
import { extname } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Writable } from 'node:stream';
import type { BlobStore, BlobWriter } from '../../blobs/blob-store.js';
import { ownsMemory } from '../../blobs/owned-memory.js';
import { PartialReadError, spoolBytes, type SpoolEntry } from '../partials/partials.js';
import { TEXT_DEFLATE_LEVEL, TEXT_DEFLATE_WINDOW_BITS, type DeflatedEntry } from '../zip/archive.js';
import { checkFromTextWorker, type FromTextWorker, type RenderJob, type ToTextWorker } from './text-messages.js';

/**
 * Text entries of an export prepared ahead of their place in the archive. The JSON and CSV of a
 * large dataset without files do not depend on anything the archive learns on the way (which files
 * are missing, how they are numbered), so a worker thread renders, measures and deflates them, both
 * from one pass over the spool, while the main thread copies the files; the archive then takes the deflated bytes as they are
 * (ZipArchive.addPrepared). Until then they wait in temporary blobs under the request's work
 * prefix, removed by `close` (and with the request's work files, should the process die first).
 */

/** An entry's deflated bytes in a temporary blob, with what the zip needs to know of them. */
export interface PreparedText extends DeflatedEntry {
  key: string;
}

/** An entry to prepare: its path in the archive and what to render. */
interface TextOutput {
  path: string;
  job: RenderJob;
}

/** Spools read at once, each into its JSON (bound by deflate) and its CSV (bound by parsing). */
const CONCURRENCY = 2;
/**
 * Spool chunks sent and not yet taken by deflate, per spool. The main thread sends only between
 * files, so with too few in flight the worker waits for it; more only cost memory (bench/README.md).
 */
const WINDOW = 8;

interface Running {
  spoolKey: string;
  outputs: RunningOutput[];
  sent: number;
  acked: number;
  /** Wakes the sending loop (an ack, a writer drained, done or failed). */
  wake?: () => void;
  failure?: Error;
}

interface RunningOutput {
  key: string;
  writer: BlobWriter;
  stream: Writable;
  /** Its temporary blob has more buffered than it wants: no chunk is sent until it drains. */
  draining: boolean;
  compressedSize: number;
  done?: { size: number; sha256: string; crc32: number };
}

/**
 * The worker's module beside this one, as this module runs: .ts from source, .js compiled, .mjs bundled.
 * The compiled and bundled ones hold their dependencies (package.json's build and bench scripts): a
 * thread is started per export, and loading TypeBox's ~700 modules cost it ~0.4 s of CPU.
 */
function workerUrl(): URL {
  return new URL(`./text-worker${extname(new URL(import.meta.url).pathname)}`, import.meta.url);
}

/**
 * A spool chunk as a message takes it: moved to the worker when the chunk is all of its memory (a
 * read's or a decryption's own, which nothing else holds once read), else a copy (a view into shared
 * memory, which a transfer would take from its other users).
 */
function movable(chunk: Buffer): Uint8Array {
  return ownsMemory(chunk) ? chunk : new Uint8Array(chunk);
}

export class TextPreparation {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly running = new Map<number, Running>();
  private readonly prepared = new Map<string, Promise<PreparedText>>();
  private readonly queue: (() => void)[] = [];
  private active = 0;
  private closed = false;

  constructor(
    private readonly store: BlobStore,
    /** Where temporary blobs go: the request's `preparedTextPrefix` (blobs/keys.ts). */
    private readonly prefix: string,
  ) {}

  /** Starts preparing `outputs` from one pass over `spool` (after the spools asked for before, CONCURRENCY at a time). */
  prepare(spool: SpoolEntry, outputs: TextOutput[]): void {
    const id = this.nextId++;
    const keys = outputs.map((_, i) => `${this.prefix}/${id}-${i + 1}.deflate`);
    const jobs = outputs.map((o) => o.job);
    const run = this.whenFree()
      .then(() => this.run(id, keys, spool, jobs))
      .finally(() => this.release());
    outputs.forEach(({ path }, i) => {
      const result = run.then((prepared) => prepared[i]!);
      // Awaited by `take`; a failure nobody takes (the archive failed first) is not an unhandled rejection.
      result.catch(() => undefined);
      this.prepared.set(path, result);
    });
  }

  /** The prepared entry for `path`, if it was asked for. */
  take(path: string): Promise<PreparedText> | undefined {
    return this.prepared.get(path);
  }

  /** Stops the worker and removes every temporary blob. */
  async close(): Promise<void> {
    if (this.prepared.size === 0) return;
    this.closed = true;
    // Entries not taken yet (the archive failed first) stop where they are.
    for (const state of this.running.values()) {
      state.failure ??= new Error('text preparation closed');
      state.wake?.();
    }
    for (const release of this.queue.splice(0)) release();
    await Promise.allSettled(this.prepared.values());
    await this.worker?.terminate();
    this.worker = undefined;
    await this.store.deletePrefix(this.prefix);
  }

  private whenFree(): Promise<void> {
    if (this.active < CONCURRENCY) {
      this.active += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) =>
      this.queue.push(() => {
        this.active += 1;
        resolve();
      }),
    );
  }

  private release(): void {
    this.active -= 1;
    this.queue.shift()?.();
  }

  private async run(id: number, keys: string[], spool: SpoolEntry, jobs: RenderJob[]): Promise<PreparedText[]> {
    if (this.closed) throw new Error('text preparation closed');
    const worker = this.start();
    const state: Running = { spoolKey: spool.key, outputs: [], sent: 0, acked: 0 };
    this.running.set(id, state);
    const wait = () => new Promise<void>((resolve) => (state.wake = resolve));
    try {
      for (const key of keys) {
        const writer = await this.store.writer(key);
        state.outputs.push({ key, writer, stream: writer.stream as Writable, draining: false, compressedSize: 0 });
      }
      worker.postMessage({ type: 'start', id, level: TEXT_DEFLATE_LEVEL, windowBits: TEXT_DEFLATE_WINDOW_BITS, jobs } satisfies ToTextWorker);
      for await (const chunk of spoolBytes(this.store, spool)) {
        while (!state.failure && (state.sent - state.acked >= WINDOW || state.outputs.some((o) => o.draining))) await wait();
        if (state.failure) throw state.failure;
        const sent = movable(chunk);
        worker.postMessage({ type: 'chunk', id, chunk: sent } satisfies ToTextWorker, [sent.buffer as ArrayBuffer]);
        state.sent += 1;
      }
      worker.postMessage({ type: 'end', id } satisfies ToTextWorker);
      while (!state.failure && !state.outputs.every((o) => o.done)) await wait();
      if (state.failure) throw state.failure;
      const prepared: PreparedText[] = [];
      for (const output of state.outputs) {
        output.stream.end();
        await once(output.stream, 'finish');
        await output.writer.commit();
        prepared.push({ key: output.key, compressedSize: output.compressedSize, ...output.done! });
      }
      return prepared;
    } catch (err) {
      for (const output of state.outputs) await output.writer.abort();
      throw err;
    } finally {
      this.running.delete(id);
    }
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(workerUrl());
    const failAll = (error: Error) => {
      for (const state of this.running.values()) {
        state.failure ??= error;
        state.wake?.();
      }
    };
    worker.on('message', (message: unknown) => {
      if (checkFromTextWorker.Check(message)) this.received(message);
      else failAll(new Error('the text worker sent a malformed message'));
    });
    worker.on('error', (err) => failAll(new Error('the text worker failed', { cause: err })));
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = undefined;
      failAll(new Error('the text worker stopped'));
    });
    this.worker = worker;
    return worker;
  }

  private received(message: FromTextWorker): void {
    const state = this.running.get(message.id);
    if (!state) return;
    switch (message.type) {
      case 'ack':
        state.acked += 1;
        break;
      case 'data': {
        const output = state.outputs[message.output]!;
        const chunk = Buffer.from(message.chunk.buffer, message.chunk.byteOffset, message.chunk.byteLength);
        output.compressedSize += chunk.length;
        if (!output.stream.write(chunk) && !output.draining) {
          output.draining = true;
          output.stream.once('drain', () => {
            output.draining = false;
            state.wake?.();
          });
        }
        break;
      }
      case 'done':
        state.outputs[message.output]!.done = { size: message.size, sha256: message.sha256, crc32: message.crc32 };
        break;
      case 'error':
        state.failure = new PartialReadError(`partial ${state.spoolKey} ${message.message}`);
        break;
    }
    state.wake?.();
  }
}

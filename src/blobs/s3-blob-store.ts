import { PassThrough, Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { assertBlobKey, BlobNotFoundError, readWholeStream, writeBody, type BlobStore, type BlobWriter, type ByteRange } from './blob-store.js';

/**
 * The blob store for deployments with several API and worker hosts: one S3 bucket (AWS or any
 * S3-compatible server). Writes stream as multipart uploads, so a result never has to fit in
 * memory (lib-storage buffers at most queueSize × partSize). Credentials come from the SDK's
 * usual chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profiles, instance roles).
 */

interface S3Settings {
  bucket: string;
  region: string;
  endpoint?: string;
  forcePathStyle: boolean;
}

export function s3Client(settings: S3Settings, extra: S3ClientConfig = {}): S3Client {
  return new S3Client({
    region: settings.region,
    forcePathStyle: settings.forcePathStyle,
    ...(settings.endpoint
      ? {
          endpoint: settings.endpoint,
          // S3-compatible servers often reject the SDK's newer default of checksums on every request.
          requestChecksumCalculation: 'WHEN_REQUIRED',
          responseChecksumValidation: 'WHEN_REQUIRED',
        }
      : {}),
    ...extra,
  });
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
}

export class S3BlobStore implements BlobStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async put(key: string, body: Readable | Buffer | string): Promise<{ size: number }> {
    await writeBody(await this.writer(key), body);
    return { size: (await this.size(key)) ?? 0 };
  }

  /** The object exists only once the upload completes; a multipart upload that is aborted leaves nothing. */
  async writer(key: string): Promise<BlobWriter> {
    const stream = new PassThrough();
    const upload = new Upload({ client: this.client, params: { Bucket: this.bucket, Key: assertBlobKey(key), Body: stream } });
    const done = upload.done();
    // commit() awaits it; after abort() its rejection is expected and must not go unhandled.
    done.catch(() => undefined);
    return {
      stream,
      commit: async () => {
        if (!stream.writableEnded) stream.end();
        await done;
      },
      abort: async () => {
        await upload.abort();
        stream.destroy();
        // A small body may already have landed as a single PutObject.
        if (await done.then(() => true, () => false)) await this.delete(key);
      },
    };
  }

  get(key: string, range?: ByteRange): Readable {
    return Readable.from(this.body(assertBlobKey(key), range), { objectMode: false });
  }

  readWhole(key: string, maxBytes: number): Promise<Buffer | undefined> {
    return readWholeStream(() => this.get(key), maxBytes);
  }

  async size(key: string): Promise<number | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: assertBlobKey(key) }));
      return head.ContentLength;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: assertBlobKey(key) }));
  }

  /** Like removing a directory: the key itself and every key under `prefix/`. */
  async deletePrefix(prefix: string): Promise<void> {
    await this.delete(prefix);
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${assertBlobKey(prefix)}/`, ContinuationToken: token }),
      );
      // One by one: a prefix holds one request's few blobs, and DeleteObjects is not on every S3-compatible server.
      for (const object of page.Contents ?? []) if (object.Key) await this.delete(object.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  private async *body(key: string, range?: ByteRange): AsyncGenerator<Buffer> {
    let response: GetObjectCommandOutput;
    try {
      response = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: range && `bytes=${range.start}-${range.end}` }),
      );
    } catch (err) {
      throw isNotFound(err) ? new BlobNotFoundError(key) : err;
    }
    for await (const chunk of response.Body as Readable) yield chunk as Buffer;
  }
}

import { randomUUID } from 'node:crypto';

/**
 * Where things live in the blob stores, in one place. Everything under a request's work prefix is
 * personal data kept only while the request is processed, so closing the request deletes the prefix
 * (or, when tasks failed, with its result or once a retry completes: src/requests/work-files.ts).
 *
 * results store:  work/<request>/<feature>.ndjson   a feature task's partial (its spools and index beside it)
 *                 work/<request>/prepared/…         an export's text prepared in the worker thread
 *                 work/<request>/uploads/<uuid>     a file a support agent uploaded for a manual task
 *                 results/<request>/<file name>     the result the subject downloads (or each of its parts)
 * feature store:  connector/<feature>/<request>/<n> a file a feature service sent through the HTTP connector
 */

export function workPrefix(requestId: string): string {
  return `work/${requestId}`;
}

export function partialKey(requestId: string, feature: string): string {
  return `${workPrefix(requestId)}/${feature}.ndjson`;
}

export function preparedTextPrefix(requestId: string): string {
  return `${workPrefix(requestId)}/prepared`;
}

/** Every file of a request's result (one, or the parts of a split archive). */
export function resultPrefix(requestId: string): string {
  return `results/${requestId}`;
}

export function resultKey(requestId: string, fileName: string): string {
  return `${resultPrefix(requestId)}/${fileName}`;
}

/** The file name a result key ends in. */
export function fileNameOf(key: string): string {
  return key.split('/').at(-1) ?? 'result';
}

/**
 * A new key for an upload: uploads never overwrite each other. Work of the request, so the upload
 * is deleted with its partials once the result holds it.
 */
export function manualUploadKey(requestId: string): string {
  return `${workPrefix(requestId)}/uploads/${randomUUID()}`;
}

export function connectorFilesPrefix(feature: string, requestId: string): string {
  return `connector/${feature}/${requestId}`;
}

import type { Readable } from 'node:stream';
import type { Actor } from '../auth/principal.js';
import { pipeline } from 'node:stream/promises';
import type { BlobStore } from '../blobs/blob-store.js';
import { ByteMeter } from '../blobs/byte-meter.js';
import type { CollectedRecord, ColumnType, DatasetDescription } from '../features/adapter.js';
import type { RequestFlow } from '../queue/flow.js';
import { isTaskOpen } from '../requests/lifecycle.js';
import type { RequestRepository } from '../requests/repository.js';
import type { RequestRow, TaskRow } from '../requests/tables.js';
import { AppError, conflict, notFound } from '../errors.js';
import { manualUploadKey } from '../blobs/keys.js';
import { storePartial } from './partial.js';
import type { RequestService } from '../requests/request-service.js';
import type { RequestView } from '../requests/schemas.js';
import type { ChangeDecision, CompleteTaskBody } from './schemas.js';
import { readManual, type ManualFile, type ManualOutcome } from './task-json.js';

/** The uploads' columns, in output order, with what their values are. */
const UPLOAD_TYPES: Record<string, ColumnType> = { name: 'string', media_type: 'string', size: 'integer', sha256: 'string', note: 'string' };

const UPLOADS: DatasetDescription = {
  name: 'provided_files',
  title: 'Files provided by our support team',
  columns: Object.keys(UPLOAD_TYPES),
  items: {},
  types: UPLOAD_TYPES,
};

/**
 * Features configured as manual: the task waits in action_required until a support agent supplies
 * the feature's data (files) or confirms the erasure, with a note. The last one resumes the request.
 */
export class ManualTaskService {
  constructor(
    private readonly repo: RequestRepository,
    private readonly requests: RequestService,
    private readonly results: BlobStore,
    private readonly flow: RequestFlow,
    private readonly maxUploadBytes: number,
  ) {}

  async upload(
    tenantId: string,
    id: string,
    feature: string,
    file: { name: string; mediaType: string; body: Readable },
    actor: Actor,
  ) {
    const { name, mediaType, body } = file;
    const { request } = await this.openTask(tenantId, id, feature);
    if (request.type === 'deletion') {
      throw conflict('no-upload-for-deletion', 'A deletion task is confirmed with a note, not with files');
    }
    if (request.type === 'correction') {
      throw conflict('no-upload-for-correction', 'A correction task is answered with a decision per change, not with files');
    }
    const blobKey = manualUploadKey(request.id);
    const limit = this.maxUploadBytes;
    const tooLarge = () => new AppError(413, 'payload-too-large', 'Payload too large', `Files are limited to ${limit} bytes`);
    const meter = new ByteMeter({ sha256: true, limit: { bytes: limit, error: tooLarge } });
    // Encrypted like the result it becomes part of (the results store), and a work file of the request.
    const writer = await this.results.writer(blobKey);
    try {
      await pipeline(body, meter, writer.stream);
      await writer.commit();
    } catch (err) {
      await writer.abort();
      throw err;
    }
    const { size } = meter;
    const stored: ManualFile = { name, mediaType, size, sha256: meter.sha256(), blobKey };
    if (!(await this.repo.addManualFile(id, feature, stored))) {
      await this.results.delete(blobKey);
      throw await this.noLongerWaiting(id, feature);
    }
    await this.repo.event(id, 'manual_file_added', feature, { size }, actor);
    return { name, mediaType, size, sha256: stored.sha256 };
  }

  async complete(tenantId: string, id: string, feature: string, body: CompleteTaskBody, actor: Actor): Promise<RequestView> {
    const { request } = await this.openTask(tenantId, id, feature);
    const { note } = body;
    // The files the partial lists are those recorded when the task completes: no upload lands in between.
    const completed = await this.repo.withTaskLocked(id, feature, async (task, repo) => {
      if (task?.status !== 'action_required') return false;
      const outcome = manualOutcome(task);
      outcome.manual.note = note;
      if (request.type === 'correction') {
        const { counts, detail } = await decideChanges(repo, id, feature, body.changes);
        return (await repo.moveTask(id, feature, 'completeByHand', { counts, outcome, datasets: [] }, detail, actor)) !== undefined;
      }
      if (body.changes) throw invalidDecisions([{ field: '/changes', message: 'only a correction task takes changes' }]);
      const values =
        request.type === 'deletion'
          ? { counts: {}, outcome, datasets: [] }
          : { ...(await this.writePartial(request, feature, outcome)), outcome, datasets: [UPLOADS] };
      return (await repo.moveTask(id, feature, 'completeByHand', values, undefined, actor)) !== undefined;
    });
    if (!completed) throw await this.noLongerWaiting(id, feature);
    await this.resumeIfDone(request.id);
    return this.requests.get(tenantId, id);
  }

  private async openTask(tenantId: string, id: string, feature: string): Promise<{ request: RequestRow; task: TaskRow }> {
    const request = await this.repo.find(tenantId, id);
    const task = request && (await this.repo.task(id, feature));
    if (!request || !task) throw notFound('Task');
    if (task.status !== 'action_required') throw notWaiting(task.status);
    return { request, task };
  }

  /** The task moved on while an agent answered it (another agent, or the request was cancelled). */
  private async noLongerWaiting(id: string, feature: string): Promise<AppError> {
    return notWaiting((await this.repo.task(id, feature))?.status ?? 'gone');
  }

  /** The uploaded files become the feature's collected data, in the same partial format adapters write. */
  private async writePartial(request: RequestRow, feature: string, outcome: ManualOutcome) {
    const records = outcome.manual.files.map(
      (f): CollectedRecord => ({
        dataset: UPLOADS.name,
        row: { name: f.name, media_type: f.mediaType, size: f.size, sha256: f.sha256, note: outcome.manual.note },
        file: { blobKey: f.blobKey, name: f.name, mediaType: f.mediaType, size: f.size, sha256: f.sha256, workFile: true },
      }),
    );
    return storePartial(this.results, request.id, feature, records, [UPLOADS]);
  }

  private async resumeIfDone(requestId: string): Promise<void> {
    const tasks = await this.repo.tasksOf(requestId);
    if (tasks.some((t) => isTaskOpen(t.status))) return;
    if (await this.repo.moveRequest(requestId, 'resume')) {
      await this.flow.enqueueAssembly(requestId);
    }
  }
}

/**
 * The feature owner's answer to a correction: every change still pending is corrected or refused
 * with a reason, in the transaction that completes the task. The trail gets items and outcomes only.
 */
async function decideChanges(repo: RequestRepository, requestId: string, feature: string, decisions: ChangeDecision[] = []) {
  const pending = (await repo.changesOf(requestId, feature)).filter((c) => c.outcome === 'pending');
  const byId = new Map(decisions.map((d) => [d.id, d]));
  const errors = decisions.flatMap((d, i) => {
    if (!pending.some((c) => c.id === d.id)) return [{ field: `/changes/${i}/id`, message: `is not a pending change of ${feature}` }];
    if (d.outcome === 'refused' && !d.reason) return [{ field: `/changes/${i}/reason`, message: 'a refusal says why' }];
    return [];
  });
  for (const change of pending.filter((c) => !byId.has(c.id))) errors.push({ field: '/changes', message: `change ${change.id} is not answered` });
  if (errors.length > 0) throw invalidDecisions(errors);
  for (const d of decisions) {
    await repo.decideChange(d.id, d.outcome === 'corrected' ? { outcome: 'corrected', oldValue: d.oldValue ?? null } : { outcome: 'refused', reason: d.reason ?? null });
  }
  const items = new Map(pending.map((c) => [c.id, c.item]));
  const counted = (outcome: string) => decisions.filter((d) => d.outcome === outcome).length;
  return {
    counts: { corrected: counted('corrected'), refused: counted('refused') },
    detail: { changes: decisions.map((d) => ({ item: items.get(d.id), outcome: d.outcome })) },
  };
}

const invalidDecisions = (errors: { field: string; message: string }[]) =>
  new AppError(422, 'invalid-decisions', 'Invalid answer', "The answer must decide each of the feature's pending changes", errors);

const notWaiting = (status: string) =>
  conflict('task-not-waiting', `This task is ${status}; only a task in action_required is answered by hand`);

/** What the task's answer holds so far (uploads come before the answer): nothing until the first. */
function manualOutcome(task: TaskRow): ManualOutcome {
  const current = readManual(task.outcome);
  return { manual: { note: current?.manual.note ?? '', files: [...(current?.manual.files ?? [])] } };
}

import type { Catalogue, Feature } from '../catalogue/schema.js';
import type { TaskStatus, WithholdingReason } from '../requests/lifecycle.js';
import type { RequestRow, TaskRow } from '../requests/tables.js';
import type { DatasetDescription, ErasureOutcome, FileRef } from '../features/adapter.js';
import type { SpoolIndex } from './partials/partials.js';
import { readErasure, readManual } from '../tasks/task-json.js';

/**
 * What every result format says about one feature: its catalogue entry, its task, the status
 * to report and, once the partial has been read once, how many rows and files each dataset has.
 */

export interface DatasetSummary {
  description: DatasetDescription;
  rows: number;
  files: number;
}

export interface FeatureSection {
  id: string;
  /** Undefined only if a task names a feature the catalogue no longer has. */
  feature: Feature | undefined;
  task: TaskRow;
  descriptions: DatasetDescription[];
  status: TaskStatus;
  error?: string;
  /** Filled by the first pass over the partial: described datasets first, then any others found. */
  datasets: DatasetSummary[];
  /**
   * The partial's index, read once by that pass (archive-files.ts prepareSections) and handed to every
   * later read of the partial; empty before, and for a feature without a partial.
   */
  spools: SpoolIndex;
  /** Files whose bytes were gone when the result was assembled, by archive path. */
  missingFiles: Map<string, FileRef>;
  /** What the person who answered the task by hand wrote (completed manual tasks only). */
  manualNote?: string;
  /** Deletion: the adapter's outcome per dataset (empty otherwise). */
  erasure: ErasureOutcome[];
  /** Datasets an agent withheld on release, with the reason; left out of `descriptions` and of the result. */
  withheld: WithheldDataset[];
}

export interface WithheldDataset {
  description: DatasetDescription;
  reason: WithholdingReason;
}

interface SectionInput {
  request: Pick<RequestRow, 'type' | 'withheld'>;
  catalogue: Catalogue;
  tasks: TaskRow[];
  datasets: ReadonlyMap<string, DatasetDescription[]>;
}

/** One section per task, in catalogue (privacy statement) order; unknown features last. */
export function buildSections(input: SectionInput): FeatureSection[] {
  const order = new Map(input.catalogue.features.map((feature, index) => [feature.id as string, index]));
  const rank = (task: TaskRow) => order.get(task.feature) ?? Number.MAX_SAFE_INTEGER;
  return [...input.tasks].sort((a, b) => rank(a) - rank(b)).map((task) => section(input, task));
}

function section(input: SectionInput, task: TaskRow): FeatureSection {
  const described = input.datasets.get(task.feature) ?? [];
  const withheld = (input.request.withheld ?? []).flatMap(({ feature, dataset, reason }) => {
    const description = feature === task.feature ? described.find((d) => d.name === dataset) : undefined;
    return description ? [{ description, reason }] : [];
  });
  const base: FeatureSection = {
    id: task.feature,
    feature: input.catalogue.features.find((f) => f.id === task.feature),
    task,
    descriptions: described.filter((d) => !withheld.some((w) => w.description === d)),
    withheld,
    ...reportedStatus(task),
    datasets: [],
    spools: { datasets: {} },
    missingFiles: new Map(),
    erasure: [],
  };
  if (base.status !== 'completed') return base;
  const manual = readManual(task.outcome);
  if (manual) return { ...base, manualNote: manual.manual.note };
  if (input.request.type !== 'deletion') return base;
  const erasure = readErasure(task.outcome);
  // Without its outcome nothing can be confirmed, so no result may claim the erasure.
  return erasure ? { ...base, erasure } : { ...base, status: 'failed', error: 'the outcome of the erasure could not be read' };
}

// The assembler runs once every task has ended; a task still pending or running did not finish
// in time and is reported as failed rather than silently as empty.
function reportedStatus(task: TaskRow): { status: TaskStatus; error?: string } {
  switch (task.status) {
    case 'failed':
      return { status: 'failed', error: task.error ?? 'unknown error' };
    case 'pending':
    case 'running':
      return { status: 'failed', error: 'the collection did not finish' };
    // A manual task still outstanding is answered separately, as a feature without adapter is.
    case 'action_required':
      return { status: 'not_automated' };
    default:
      return task.error ? { status: task.status, error: task.error } : { status: task.status };
  }
}

export function totalRows(section: FeatureSection): number {
  return section.datasets.reduce((sum, d) => sum + d.rows, 0);
}

/** The catalogue label of the item a column carries, if the adapter declared one. */
export function columnItemLabel(section: FeatureSection, description: DatasetDescription, column: string): string | undefined {
  const itemId = description.items[column];
  return itemId === undefined ? undefined : section.feature?.items.find((i) => i.id === itemId)?.label;
}

/**
 * The one time a result states (the times of its zip entries and of its manifest): when the request
 * it answers was made. Nothing in a result depends on when or how often its work ran: not the clock
 * of the assembly, not when a task ended (a task killed and run again ends later). So an assembly
 * killed and run again, a result built again to leave out withheld items, and the same request
 * answered on another run all write the same bytes. When the work ended is the request's record:
 * its `completedAt` (which starts the result's retention) and its tasks' events in the audit trail.
 */
export function resultTimeOf(request: Pick<RequestRow, 'createdAt'>): Date {
  return request.createdAt;
}

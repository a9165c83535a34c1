import Type, { type Static } from 'typebox';
import { Compile } from 'typebox/compile';
import { DatasetDescription, ErasureOutcome } from '../features/adapter.js';
import { UploadedFile } from './schemas.js';

/**
 * Reading a task's JSON columns, which the database hands back untyped: each is checked against its
 * schema before any result relies on it. `outcome` holds an adapter's erasure outcomes (an array), or
 * `{ manual: { note, files } }` when a person answered the task by hand; `datasets` the datasets its
 * adapter described.
 */

/** A manual task's outcome: the agent's note and, for access and export, the files they supplied. */
export const ManualOutcome = Type.Object({
  manual: Type.Object({ note: Type.String(), files: Type.Array(Type.Intersect([UploadedFile, Type.Object({ blobKey: Type.String() })])) }),
});
export type ManualOutcome = Static<typeof ManualOutcome>;
/** An upload as the task records it: what the agent was told, and where its bytes lie. */
export type ManualFile = ManualOutcome['manual']['files'][number];

const checkManual = Compile(ManualOutcome);
const checkErasure = Compile(Type.Array(ErasureOutcome));
const checkDatasets = Compile(Type.Array(DatasetDescription));

export function readManual(value: unknown): ManualOutcome | undefined {
  return checkManual.Check(value) ? value : undefined;
}

export function readErasure(value: unknown): ErasureOutcome[] | undefined {
  return checkErasure.Check(value) ? value : undefined;
}

/** The datasets a task recorded; none before its adapter ran. A malformed record fails its reader. */
export function readDatasets(value: unknown): DatasetDescription[] {
  if (value === null || value === undefined) return [];
  if (!checkDatasets.Check(value)) throw new Error("a task's recorded datasets are malformed");
  return value;
}

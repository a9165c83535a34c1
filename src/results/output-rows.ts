import type { PartialRecord } from './partials/partials.js';
import type { FileNumbering } from './file-names.js';
import type { FeatureSection } from './report-model.js';

/**
 * A collected row as it appears in data.json and in the export's JSON and CSV files: the row's
 * own fields plus, for rows with a file, `file` (its path in the archive, null if it is missing).
 */

type OutputValue = string | number | boolean | null;

interface MissingFileNote {
  name: string;
  mediaType: string;
  size: number;
  reason: string;
}

export type OutputRow = Record<string, OutputValue | MissingFileNote>;

export const MISSING_FILE_REASON = 'the file no longer exists (it was deleted after it was collected)';

export function outputRow(section: FeatureSection, record: PartialRecord, numbering: FileNumbering): OutputRow {
  if (!record.file) return record.row;
  const path = numbering.pathFor(record.dataset, record.file.name);
  if (!section.missingFiles.has(path)) return { ...record.row, file: path };
  const { name, mediaType, size } = record.file;
  return { ...record.row, file: null, fileMissing: { name, mediaType, size, reason: MISSING_FILE_REASON } };
}

import { MISSING_FILE_REASON } from '../output-rows.js';
import type { ColumnType } from '../../features/adapter.js';
import type { DatasetSummary, FeatureSection } from '../report-model.js';

/**
 * The JSON Schema (draft 2020-12) of one dataset's JSON file in an export, made from the dataset's
 * description: an array of rows, each an object with exactly the described columns (plus `file`, and
 * `fileMissing` when the file is gone, for a dataset with files). Each column says which catalogue
 * item it carries and, where the dataset's description knows it, what its values are (any of them may
 * be null: a policy may leave a value out); else any scalar a collected row may hold.
 */

const DRAFT = 'https://json-schema.org/draft/2020-12/schema';
const VALUE = { type: ['string', 'number', 'boolean', 'null'] };

function valueSchema(type: ColumnType | undefined): object {
  if (type === undefined) return VALUE;
  if (type === 'date-time' || type === 'date') return { type: ['string', 'null'], format: type };
  return { type: [type, 'null'] };
}

const FILE_PROPERTIES = {
  file: { type: ['string', 'null'], description: "The file's path in this archive; null when the file is missing" },
  fileMissing: {
    type: 'object',
    description: 'Why the file is not in this archive',
    properties: {
      name: { type: 'string' },
      mediaType: { type: 'string' },
      size: { type: 'integer', minimum: 0 },
      reason: { const: MISSING_FILE_REASON },
    },
    required: ['name', 'mediaType', 'size', 'reason'],
    additionalProperties: false,
  },
};

export function datasetSchema(section: FeatureSection, dataset: DatasetSummary): object {
  const { description } = dataset;
  const labels = new Map(section.feature?.items.map((item) => [item.id, item.label]));
  const column = (name: string) => {
    const item = description.items[name];
    const value = valueSchema(description.types?.[name]);
    return item ? { ...value, description: `${labels.get(item) ?? item} (catalogue item ${item})` } : value;
  };
  const properties = Object.fromEntries(description.columns.map((name) => [name, column(name)]));
  return {
    $schema: DRAFT,
    title: `${section.feature?.name ?? section.id}: ${description.title}`,
    description: `The rows of ${description.title} as a JSON array of objects (column -> value)`,
    type: 'array',
    items: {
      type: 'object',
      properties: dataset.files > 0 ? { ...properties, ...FILE_PROPERTIES } : properties,
      required: description.columns,
      additionalProperties: false,
    },
  };
}

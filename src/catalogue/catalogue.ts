import fs from 'node:fs';
import path from 'node:path';
import Value from 'typebox/value';
import { Catalogue, type Feature, type FeatureId } from './schema.js';
import { projectRoot } from '../paths.js';

/**
 * The disclosure catalogue, loaded and validated once at import time.
 *
 * catalogue.json stays in the source tree: tsc builds src into dist/src without copying JSON,
 * so the file is found from the package root, which works from both src/ and dist/src/.
 */

const CATALOGUE_PATH = path.join('src', 'catalogue', 'catalogue.json');

/** Problems the schema cannot express: ids must be unique so they can key exports and erasures. */
function duplicateIdProblems(catalogue: Catalogue): string[] {
  const problems = duplicates(catalogue.features.map((f) => f.id)).map((id) => `duplicate feature id ${id}`);
  for (const feature of catalogue.features) {
    for (const id of duplicates(feature.items.map((i) => i.id))) problems.push(`${feature.id}: duplicate item id ${id}`);
  }
  return problems;
}

function duplicates(ids: string[]): string[] {
  return [...new Set(ids.filter((id, index) => ids.indexOf(id) !== index))];
}

/** Validates parsed JSON as a catalogue; throws one error listing every problem. */
export function parseCatalogue(data: unknown, origin = 'catalogue'): Catalogue {
  if (!Value.Check(Catalogue, data)) {
    const problems = Value.Errors(Catalogue, data).map((e) => `${e.instancePath || '/'} ${e.message}`);
    throw new Error(`Invalid ${origin}:\n  ${problems.join('\n  ')}`);
  }
  const problems = duplicateIdProblems(data);
  if (problems.length > 0) throw new Error(`Invalid ${origin}:\n  ${problems.join('\n  ')}`);
  return data;
}

function loadCatalogue(): Catalogue {
  const file = path.join(projectRoot, CATALOGUE_PATH);
  return parseCatalogue(JSON.parse(fs.readFileSync(file, 'utf8')), file);
}

export const catalogue: Catalogue = loadCatalogue();

export function featureById(id: string): Feature {
  const feature = catalogue.features.find((f) => f.id === id);
  if (!feature) throw new Error(`Unknown catalogue feature: ${id}`);
  return feature;
}

/** Feature ids in catalogue (privacy statement) order. */
export function catalogueFeatureIds(): FeatureId[] {
  return catalogue.features.map((f) => f.id);
}

export function itemIds(feature: Feature | FeatureId): string[] {
  const f = typeof feature === 'string' ? featureById(feature) : feature;
  return f.items.map((i) => i.id);
}

import Type, { type Static } from 'typebox';
import { ERASURE_OUTCOMES, type ErasureResult } from '../../features/erasure-outcomes.js';
import { accountItems, type ItemAccount } from '../item-accounting.js';
import type { FeatureSection } from '../report-model.js';
import { count } from '../../features/words.js';

/**
 * The check of an erasure: once every eraser ran, each feature's store is scanned again for the
 * subject, as an access request would find them (tasks/erasure-rescan.ts), and what remains is set
 * against what the receipt says. Only rows the receipt calls kept or retained may remain; anything
 * else is a finding, stated plainly, and the request then does not claim full completion.
 */

/** What a store still holds of the subject after the erasure: rows per dataset, or why it could not be scanned. */
export type StoreScan = { status: 'scanned'; remaining: Record<string, number> } | { status: 'failed'; error: string };

const Count = Type.Integer({ minimum: 0 });

const RemainingItem = Type.Object(
  {
    id: Type.String(),
    label: Type.String(),
    /** Rows the scan found that carry the item. */
    rows: Count,
    /** What the receipt says of the item. */
    outcome: Type.String(),
  },
  { additionalProperties: false },
);

const RemainingDataset = Type.Object(
  {
    dataset: Type.String(),
    title: Type.String(),
    rows: Count,
  },
  { additionalProperties: false },
);

export const RescanFeature = Type.Object(
  {
    id: Type.String(),
    /**
     * confirmed: only what the receipt says is kept or retained remains; mismatch: see `findings`;
     * failed: the store could not be scanned, so nothing is confirmed; not_scanned: the feature's data
     * was not erased by an adapter (failed, not automated, answered by hand), so there is nothing to check.
     */
    status: Type.Enum(['confirmed', 'mismatch', 'failed', 'not_scanned']),
    datasets: Type.Array(RemainingDataset),
    items: Type.Array(RemainingItem),
    findings: Type.Array(Type.String()),
  },
  { additionalProperties: false },
);
export type RescanFeature = Static<typeof RescanFeature>;

export const Rescan = Type.Object({ features: Type.Array(RescanFeature) }, { additionalProperties: false });
export type Rescan = Static<typeof Rescan>;

/** Outcomes that leave rows the subject can still be found in. */
const REMAINING: readonly ErasureResult[] = ['kept', 'retained'];

export function compareRescan(sections: FeatureSection[], scans: ReadonlyMap<string, StoreScan>): Rescan {
  return { features: sections.map((section) => compareFeature(section, scans.get(section.id))) };
}

/** The erasure is confirmed where every scanned store holds only what its receipt says remains. */
export function rescanConfirms(rescan: Rescan): boolean {
  return rescan.features.every((f) => f.status === 'confirmed' || f.status === 'not_scanned');
}

function compareFeature(section: FeatureSection, scan: StoreScan | undefined): RescanFeature {
  const empty = { id: section.id, datasets: [], items: [] };
  if (!scan) return { ...empty, status: 'not_scanned', findings: [] };
  if (scan.status === 'failed') {
    return { ...empty, status: 'failed', findings: [`The store could not be scanned again after the erasure (${scan.error}): what remains is not confirmed.`] };
  }
  const findings: string[] = [];
  const datasets = Object.entries(scan.remaining)
    .filter(([, rows]) => rows > 0)
    .map(([dataset, rows]) => {
      const description = section.descriptions.find((d) => d.name === dataset);
      const title = description?.title ?? dataset;
      const erased = section.erasure.find((o) => o.dataset === dataset);
      const allowed = (erased?.kept ?? 0) + (erased?.retained ?? 0);
      if (rows > allowed) findings.push(`${title}: ${count(rows, 'record remains', 'records remain')}, where the erasure reports ${allowed} kept or retained.`);
      return { dataset, title, rows, items: description ? Object.values(description.items) : [] };
    });
  const accounts = accountItems(section, 'deletion');
  const items = accounts.flatMap((account) => {
    const rows = datasets.filter((d) => d.items.includes(account.id)).reduce((n, d) => n + d.rows, 0);
    if (rows === 0) return [];
    if (!REMAINING.includes(account.outcome as ErasureResult)) findings.push(itemFinding(account, rows));
    return [{ id: account.id, label: account.label, rows, outcome: account.outcome }];
  });
  return {
    id: section.id,
    status: findings.length > 0 ? 'mismatch' : 'confirmed',
    datasets: datasets.map(({ dataset, title, rows }) => ({ dataset, title, rows })),
    items,
    findings,
  };
}

function itemFinding(account: ItemAccount, rows: number): string {
  const said = account.outcome in ERASURE_OUTCOMES ? ERASURE_OUTCOMES[account.outcome as ErasureResult].word.toLowerCase() : account.outcome;
  return `${account.label}: ${count(rows, 'record remains', 'records remain')}, though this receipt says it was ${said}.`;
}

import { createHash } from 'node:crypto';
import type { Random } from './random.js';

export type Row = Record<string, string | string[] | number | boolean | Date | null>;

export interface StoredFile {
  key: string;
  size: number;
  sha256: string;
}

/** Demo rows and file bytes, gathered in memory before anything is written. */
export class DemoData {
  /** Rows per table, in the order given: the order they can be inserted in. */
  readonly tables: Map<string, Row[]>;
  readonly blobs: { key: string; body: Buffer }[] = [];

  constructor(
    readonly random: Random,
    tables: readonly string[],
    /**
     * Midnight (UTC) of the day the demo is seeded. Records whose age matters (logs and payments kept
     * for a legal period) are dated back from it, so the demo always has some inside their period and some past it.
     */
    readonly today: Date,
  ) {
    this.tables = new Map(tables.map((t) => [t, []]));
  }

  add(table: string, row: Row): void {
    const rows = this.tables.get(table);
    if (!rows) throw new Error(`demo data: unknown table ${table}`);
    rows.push(row);
  }

  id(): string {
    return this.random.uuid();
  }

  /** Keeps the bytes under `<feature>/<tenant>/<uuid>`. */
  file(feature: string, tenantId: string, body: Buffer): StoredFile {
    const key = `${feature}/${tenantId}/${this.random.uuid()}`;
    this.blobs.push({ key, body });
    return { key, size: body.length, sha256: createHash('sha256').update(body).digest('hex') };
  }
}

/** A time `minutes` after `start`. */
export function after(start: Date, minutes: number): Date {
  return new Date(start.getTime() + minutes * 60_000);
}

/** A time `days` days (and `minutes`) before `end`. */
export function before(end: Date, days: number, minutes = 0): Date {
  return after(end, -(days * 24 * 60 + minutes));
}

/**
 * When the `n`th logged event of someone happened: every third one more than six months ago (past the
 * period security logs are kept for), the others within the last six months.
 */
export function loggedAt(data: DemoData, n: number): Date {
  const r = data.random;
  return before(data.today, n % 3 === 0 ? r.int(200, 270) : r.int(1, 160), r.int(0, 24 * 60 - 1));
}

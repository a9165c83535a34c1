import type { Logger } from 'pino';
import { notFound, AppError } from '../errors.js';
import { readDeletionReceipt, ReceiptReadError } from '../results/receipt/deletion-receipt.js';
import type { RequestRecords } from './records.js';
import type { CcpaMetrics, RequestRecordView } from './schemas.js';
import type { RequestRecordRow } from './tables.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface RecordOptions {
  /** How long a record is kept after its request ended (RECORD_RETENTION_MONTHS; CCPA § 7101: at least 24). */
  recordRetentionMonths: number;
  /** How long a result is kept after its request ended (RESULT_TTL_DAYS). */
  resultTtlDays: number;
}

/** The rules of request records: showing one, the yearly figures, and the housekeeping (records.ts). */
export class RecordService {
  constructor(
    private readonly records: RequestRecords,
    private readonly options: RecordOptions,
    private readonly log: Logger,
  ) {}

  async get(tenantId: string, requestId: string): Promise<RequestRecordView> {
    const row = await this.records.find(tenantId, requestId);
    if (!row) throw notFound('Record of an ended request');
    return { ...recordView(row, this.keptUntil(row.endedAt)), receipt: this.receiptOf(row) };
  }

  async ccpaMetrics(tenantId: string, year: number): Promise<CcpaMetrics> {
    return { year, types: await this.records.figures(tenantId, year) };
  }

  /** Clears what a request whose result is gone no longer needs, and purges the records past retention. */
  async housekeep(now = new Date()): Promise<number> {
    const cleared = await this.records.clearNotes(new Date(now.getTime() - this.options.resultTtlDays * DAY_MS));
    return cleared + (await this.records.purge(monthsBefore(now, this.options.recordRetentionMonths)));
  }

  private keptUntil(endedAt: Date): Date {
    return monthsBefore(endedAt, -this.options.recordRetentionMonths);
  }

  /** Read back from Postgres: checked against the receipt's schema, not cast. */
  private receiptOf(row: RequestRecordRow) {
    if (row.receipt === null) return null;
    try {
      return readDeletionReceipt(row.receipt);
    } catch (err) {
      if (!(err instanceof ReceiptReadError)) throw err;
      this.log.error({ requestId: row.requestId, error: err.message }, 'kept receipt unreadable');
      throw new AppError(500, 'receipt-unreadable', 'Internal server error', 'The kept receipt cannot be read; the error was logged');
    }
  }
}

function recordView(row: RequestRecordRow, keptUntil: Date): Omit<RequestRecordView, 'receipt'> {
  return {
    requestId: row.requestId,
    accountId: row.accountId,
    type: row.type,
    regime: row.regime,
    outcome: row.outcome,
    rejectionReason: row.rejectionReason,
    receivedAt: row.receivedAt.toISOString(),
    dueAt: row.dueAt.toISOString(),
    endedAt: row.endedAt.toISOString(),
    keptUntil: keptUntil.toISOString(),
  };
}

/** `date` moved back by whole calendar months (UTC; forward for a negative count). */
function monthsBefore(date: Date, months: number): Date {
  const moved = new Date(date);
  moved.setUTCMonth(moved.getUTCMonth() - months);
  return moved;
}

import type { RetentionRule } from './adapter.js';

/**
 * Periods the law makes features keep records past a deletion request (GDPR Art. 17(3)(b)), with the
 * reason a deletion receipt gives and the one purpose the kept rows may still serve (Art. 18(2)): an
 * erasure marks them restricted to it. A dataset names one of these and the timestamp its period counts from.
 */

export interface LegalRetention extends RetentionRule {
  /** The legal purpose, as it completes "kept only for ...". */
  purpose: string;
}

export const NETWORK_LOGS: LegalRetention = {
  days: 180,
  reason: 'Kept for the legal obligation to keep network security logs for at least six months; erased when that period ends.',
  purpose: 'the legal obligation to keep network security logs',
};

export const PAYMENT_RECORDS: LegalRetention = {
  days: 1825,
  reason:
    'Kept for the legal obligation to keep financial records, including for anti-money-laundering checks, ' +
    'for five years; erased when that period ends.',
  purpose: 'the legal obligation to keep financial records, including for anti-money-laundering checks',
};

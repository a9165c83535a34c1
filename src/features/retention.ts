import type { RetentionRule } from './adapter.js';

/**
 * Periods the law makes features keep records past a deletion request (GDPR Art. 17(3)(b)), with the
 * reason a deletion receipt gives. A dataset names one of these and the timestamp its period counts from.
 */

export const NETWORK_LOGS: RetentionRule = {
  days: 180,
  reason: 'Kept for the legal obligation to keep network security logs for at least six months; erased when that period ends.',
};

export const PAYMENT_RECORDS: RetentionRule = {
  days: 1825,
  reason:
    'Kept for the legal obligation to keep financial records, including for anti-money-laundering checks, ' +
    'for five years; erased when that period ends.',
};

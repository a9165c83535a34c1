/**
 * Legal deadlines. Each request answers under one regime, which fixes when it is due and how far it
 * may be extended:
 *   gdpr  one calendar month (Art. 12(3)); extendable once by up to two further months;
 *   ccpa  45 days (Cal. Civ. Code §1798.130); extendable once by up to 45 more days;
 *   pipl  15 working days, Monday to Friday; PIPL (Art. 50) gives no extension, so none is granted.
 * Times are UTC; a month from the 31st ends on the last day of a shorter month.
 */
export const REGIMES = ['gdpr', 'ccpa', 'pipl'] as const;
export type Regime = (typeof REGIMES)[number];

const DAY_MS = 24 * 60 * 60 * 1000;

export interface ExtensionAsk {
  months?: number | undefined;
  days?: number | undefined;
}

/** How far each regime lets a deadline be extended, in its own unit; none for PIPL. */
export const EXTENSION_LIMITS: Record<Regime, { unit: 'months' | 'days'; max: number } | undefined> = {
  gdpr: { unit: 'months', max: 2 },
  ccpa: { unit: 'days', max: 45 },
  pipl: undefined,
};

export function dueAt(regime: Regime, receivedAt: Date): Date {
  switch (regime) {
    case 'gdpr':
      return addMonths(receivedAt, 1);
    case 'ccpa':
      return addDays(receivedAt, 45);
    case 'pipl':
      return addWorkingDays(receivedAt, 15);
  }
}

/**
 * The extended deadline, or why the regime refuses the extension asked (the unit of another
 * regime, or more than it allows). Without an amount, the regime's maximum.
 */
export function extendedDue(regime: Regime, due: Date, ask: ExtensionAsk): Date | string {
  const limit = EXTENSION_LIMITS[regime];
  if (!limit) return `${regime} deadlines cannot be extended`;
  const other = limit.unit === 'months' ? ask.days : ask.months;
  if (other !== undefined) return `${regime} deadlines are extended in ${limit.unit}`;
  const amount = ask[limit.unit] ?? limit.max;
  if (amount > limit.max) return `${regime} allows at most ${limit.max} further ${limit.unit}`;
  return limit.unit === 'months' ? addMonths(due, amount) : addDays(due, amount);
}

/** A pause (waiting for the subject) moves the deadline by the time it lasted. */
export function resumedDue(due: Date, pausedAt: Date, resumedAt: Date): Date {
  return new Date(due.getTime() + Math.max(0, resumedAt.getTime() - pausedAt.getTime()));
}

export function addMonths(date: Date, months: number): Date {
  const result = new Date(date);
  const day = date.getUTCDate();
  result.setUTCDate(1);
  result.setUTCMonth(result.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(result.getUTCFullYear(), result.getUTCMonth() + 1, 0)).getUTCDate();
  result.setUTCDate(Math.min(day, lastDay));
  return result;
}

function addDays(date: Date, days: number): Date {
  return new Date(date.getTime() + days * DAY_MS);
}

function addWorkingDays(date: Date, days: number): Date {
  let result = date;
  for (let counted = 0; counted < days; ) {
    result = addDays(result, 1);
    const weekday = result.getUTCDay();
    if (weekday !== 0 && weekday !== 6) counted++;
  }
  return result;
}

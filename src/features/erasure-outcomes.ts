import Type, { type Static } from 'typebox';

/**
 * The words an erasure record uses, once: what each outcome means, so that every result (the
 * receipt, its page, the webhook) says exactly what happened to an item and never less than the truth.
 */

export const ERASURE_OUTCOMES = {
  deleted: {
    word: 'Deleted',
    explanation: 'Erased: no record of yours remains.',
  },
  anonymized: {
    word: 'Anonymized',
    explanation: 'Your identity was removed from these records; the records themselves stay, for the reason given.',
  },
  kept: {
    word: 'Kept',
    explanation: 'Kept with their content, because other people share them; you are no longer named in them where that was possible.',
  },
  retained: {
    word: 'Retained',
    explanation: 'Kept for a legal obligation until the date given, restricted to that purpose: used for nothing else, then erased.',
  },
} as const;

export type ErasureResult = keyof typeof ERASURE_OUTCOMES;

export const ERASURE_RESULTS = Object.keys(ERASURE_OUTCOMES) as ErasureResult[];

/** One of the outcomes above: part of every item account and read back from stored receipts. */
export const ErasureResultSchema = Type.Enum(ERASURE_RESULTS);
export type ErasureResultSchema = Static<typeof ErasureResultSchema>;

/**
 * Where several outcomes befall one item, the least complete wins, so the record never overstates:
 * retained, then kept, then anonymized, then deleted.
 */
export const LEAST_COMPLETE_FIRST: readonly ErasureResult[] = ['retained', 'kept', 'anonymized', 'deleted'];

/** "Restricted: kept only for <purpose> until <date>": how a restricted row says so in every result. */
export function restrictionWords(purpose: string, until: string): string {
  return `Restricted: kept only for ${purpose} until ${until}`;
}

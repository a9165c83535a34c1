import Type, { type Static } from 'typebox';
import type { Feature } from '../../catalogue/schema.js';

/**
 * Whom a feature's data went to (GDPR Art. 19: the controller tells each recipient of a rectification
 * or erasure). The catalogue is the one home of recipients (issue 16, item 2); this is the seam
 * receipts read them through, and answers none until the catalogue names them.
 */

export const Recipient = Type.Object(
  {
    name: Type.String(),
    /** processor, independent controller, or the subject's own third-party account. */
    role: Type.String(),
  },
  { additionalProperties: false },
);
export type Recipient = Static<typeof Recipient>;

export function recipientsOf(_feature: Feature): Recipient[] {
  return [];
}

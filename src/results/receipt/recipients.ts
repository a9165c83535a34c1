import type { Feature } from '../../catalogue/schema.js';
import type { TenantNotice } from '../../notice/schemas.js';
import { featureNotice, RECTIFICATION_TELL } from '../../notice/subject-notice.js';
import type { ReceiptRecipient } from './deletion-receipt.js';

/**
 * Whom a corrected feature's data went to, and what the controller tells each of them (GDPR Art. 19):
 * the statement's recipients and the organization's, as the request's notice named them. A correction
 * reads no rows, so a recipient the subject's own rows decide (an applet they authorized) is listed
 * unnamed.
 */
export function correctionRecipients(feature: Feature, notice: TenantNotice | undefined): ReceiptRecipient[] {
  return featureNotice(feature, notice).recipients.map((r) => ({
    id: r.id,
    name: r.name,
    role: r.role,
    source: r.source,
    tell: RECTIFICATION_TELL[r.role],
  }));
}

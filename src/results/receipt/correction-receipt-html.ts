import type { CorrectionReceipt, ReceiptChange } from './correction-receipt.js';
import { ROLE_WORDS } from '../../notice/subject-notice.js';
import { html, raw } from '../html.js';
import { documentStart, DOCUMENT_END } from '../views/document.js';
import { REQUEST_TYPE_WORDS } from '../labels.js';
import { definitionList, formatIso, POLICY, seal, STYLE } from './deletion-receipt-html.js';

/**
 * The correction receipt as a page people read: each change asked for, from what to what, or why it
 * was refused or not made; the recipients told; the digest and signature. Self-contained and every
 * value escaped, as the certificate of erasure.
 */

export function correctionReceiptHtml(receipt: CorrectionReceipt): string {
  return [
    documentStart(`Record of correction — request ${receipt.requestId}`, { style: STYLE, policy: POLICY }),
    header(receipt),
    changesSection(receipt.changes),
    recipientsSection(receipt),
    seal(receipt),
    DOCUMENT_END,
  ].join('');
}

const OUTCOME_WORDS: Record<ReceiptChange['outcome'], string> = {
  corrected: 'Corrected',
  refused: 'Refused',
  not_made: 'Not made',
};

function header(receipt: CorrectionReceipt): string {
  const rows: [string, string][] = [
    ['Request', receipt.requestId],
    ['Type', `${REQUEST_TYPE_WORDS.correction} (${receipt.type})`],
    ['Account', receipt.accountId],
    ['Organization', receipt.tenantId],
    ['Requested', formatIso(receipt.createdAt)],
    ['Status', receipt.status],
    ['Catalogue version', receipt.catalogueVersion],
  ];
  return html`<header>
<h1>Record of correction</h1>
<p>What became of each correction you asked for: what was changed, from what to what, and what was refused and why. At the end: the digest and signature that prove this record is the one the service issued.</p>
${raw(definitionList(rows))}
</header>
`;
}

function changesSection(changes: ReceiptChange[]): string {
  const rows = changes.map(
    (c) =>
      html`<tr><td>${c.featureName}</td><td>${c.itemLabel}</td><td>${OUTCOME_WORDS[c.outcome]}${c.handledBy === 'by_hand' ? ' (by hand)' : ''}</td><td>${c.from ?? ''}</td><td>${c.to ?? ''}</td><td>${c.reason ?? ''}</td></tr>`,
  );
  return html`<section id="changes">
<h2>Changes</h2>
<div class="scroll"><table>
<thead><tr><th>Feature</th><th>Item</th><th>Outcome</th><th>From</th><th>To</th><th>Why</th></tr></thead>
<tbody>
${raw(rows.join('\n'))}
</tbody>
</table></div>
</section>
`;
}

/** GDPR Art. 19: who the corrected data went to, feature by feature, and what the organization tells each of them. */
function recipientsSection(receipt: CorrectionReceipt): string {
  const rows = receipt.recipients.flatMap((f) =>
    f.recipients.map((r) => html`<tr class="recipient"><td>${f.featureName}</td><td>${r.name}</td><td>${ROLE_WORDS[r.role]}</td><td>${r.tell}</td></tr>`),
  );
  if (rows.length === 0) return '';
  return html`<section id="recipients">
<h2>Recipients told of the correction</h2>
<div class="scroll"><table>
<thead><tr><th>Feature</th><th>Recipient</th><th>Role</th><th>What your organization tells them</th></tr></thead>
<tbody>
${raw(rows.join('\n'))}
</tbody>
</table></div>
</section>
`;
}

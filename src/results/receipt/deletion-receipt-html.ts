import type { Seal } from './receipt-signing.js';
import type { RescanFeature } from './rescan.js';
import type { DeletionReceipt, ReceiptDataset, ReceiptFeature, ReceiptRecipients } from './deletion-receipt.js';
import { ROLE_WORDS } from '../../notice/subject-notice.js';
import { html, raw } from '../html.js';
import { documentStart, DOCUMENT_END } from '../views/document.js';
import { formatDate, itemOutcomeWords, REQUEST_TYPE_WORDS } from '../labels.js';

/**
 * The deletion receipt as a page people read: the same facts as the JSON receipt, its digest and
 * signature, and how to verify them. Self-contained (inline CSS, no scripts, nothing external) and
 * every value escaped, so it can be saved and opened offline.
 */

export function deletionReceiptHtml(receipt: DeletionReceipt): string {
  return [
    documentStart(`Certificate of erasure — request ${receipt.requestId}`, { style: STYLE, policy: POLICY }),
    header(receipt),
    ...receipt.features.map(featureSection),
    rescanSection(receipt),
    recipientsSection(receipt.recipients),
    seal(receipt),
    DOCUMENT_END,
  ].join('');
}

// Nothing but its own inline style: the receipt shows no images or files.
export const POLICY = "default-src 'none'; style-src 'unsafe-inline'";

export const STYLE = `
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d1d1f; margin: 0; background: #f6f7f9; }
main { max-width: 1000px; margin: 0 auto; padding: 24px; }
header, section { background: #fff; border: 1px solid #dde1e6; border-radius: 8px; padding: 16px 24px; margin-bottom: 20px; }
h1 { font-size: 1.6em; margin: 0 0 8px; } h2 { font-size: 1.3em; margin: 0 0 8px; } h3 { font-size: 1.05em; margin: 16px 0 6px; }
dl { display: grid; grid-template-columns: max-content auto; gap: 2px 16px; } dt { font-weight: 600; } dd { margin: 0; overflow-wrap: anywhere; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 0.92em; }
th, td { border: 1px solid #dde1e6; padding: 4px 8px; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
th { background: #f0f2f5; } td.n { text-align: right; }
code, pre { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 0.9em; overflow-wrap: anywhere; }
pre { background: #f0f2f5; padding: 8px 12px; white-space: pre-wrap; }
.error { color: #9b1c1c; }
@media print { body { background: #fff; } header, section { border: none; } }
`;

const STATUS_WORDS: Record<string, string> = {
  completed: 'Completed',
  partially_completed: 'Partially completed: some features could not be erased',
  failed: 'Failed',
  cancelled: 'Cancelled',
  not_automated: 'Not automated yet: handled separately by your organization',
};

function header(receipt: DeletionReceipt): string {
  const rows: [string, string][] = [
    ['Request', receipt.requestId],
    ['Type', `${REQUEST_TYPE_WORDS.deletion} (${receipt.type})`],
    ['Account', receipt.accountId],
    ['Organization', receipt.tenantId],
    ['Requested', formatIso(receipt.createdAt)],
    ...(receipt.completedAt ? [['Completed', formatIso(receipt.completedAt)] as [string, string]] : []),
    ['Status', statusWords(receipt.status)],
    ['Catalogue version', receipt.catalogueVersion],
  ];
  return html`<header>
<h1>Certificate of erasure</h1>
<p>What became of your personal data, feature by feature and for every item the privacy statement names. At the end: the digest and signature that prove this certificate is the one the service issued.</p>
${raw(definitionList(rows))}
</header>
`;
}

function featureSection(feature: ReceiptFeature): string {
  const status = feature.error ? `${statusWords(feature.status)}: ${feature.error}` : statusWords(feature.status);
  const items = feature.items.map((item) => html`<tr><td>${item.label}</td><td>${itemOutcomeWords(item)}</td></tr>`);
  return html`<section class="feature" id="feature-${feature.id}">
<h2>${feature.name}</h2>
<p class="${feature.error ? 'error' : 'status'}">${status}${feature.finishedAt ? ` — ${formatIso(feature.finishedAt)}` : ''}</p>
<h3>Items</h3>
<div class="scroll"><table>
<thead><tr><th>Item</th><th>What became of it</th></tr></thead>
<tbody>
${raw(items.join('\n'))}
</tbody>
</table></div>
${raw(datasetTable(feature.datasets))}</section>
`;
}

function datasetTable(datasets: ReceiptDataset[]): string {
  if (datasets.length === 0) return '';
  const rows = datasets.map((d) => {
    const counts = [d.deleted, d.anonymized, d.kept, d.retained].map((n) => html`<td class="n">${n}</td>`).join('');
    return html`<tr><td>${d.title}</td>${raw(counts)}<td>${datasetNote(d)}</td></tr>`;
  });
  return html`<h3>Records</h3>
<div class="scroll"><table>
<thead><tr><th>Records</th><th>Deleted</th><th>Anonymized</th><th>Kept</th><th>Retained</th><th>Note</th></tr></thead>
<tbody>
${raw(rows.join('\n'))}
</tbody>
</table></div>
`;
}

function datasetNote(d: ReceiptDataset): string {
  const retention =
    d.retained > 0 ? `Retained${d.retainedUntil ? ` until ${d.retainedUntil}` : ''}: ${d.retentionReason ?? 'a legal obligation'}` : '';
  return [d.note ?? '', retention].filter(Boolean).join(' ');
}

const RESCAN_WORDS: Record<RescanFeature['status'], string> = {
  confirmed: 'Confirmed',
  mismatch: 'Does not match this certificate',
  failed: 'Could not be checked',
  not_scanned: 'Not checked: nothing was erased automatically',
};

/** The scan of every store after the erasure: what remains, item by item, and any finding. */
function rescanSection(receipt: DeletionReceipt): string {
  if (!receipt.rescan) return '';
  const names = new Map(receipt.features.map((f) => [f.id, f.name]));
  const features = receipt.rescan.features.map((f) => {
    const remaining = f.items.map((i) => html`<li>${i.label}: ${i.rows} ${i.rows === 1 ? 'record' : 'records'} (${i.outcome})</li>`);
    const findings = f.findings.map((finding) => html`<li class="error">${finding}</li>`);
    const lists = [...remaining, ...findings];
    return html`<h3>${names.get(f.id) ?? f.id}: ${RESCAN_WORDS[f.status]}</h3>
${raw(lists.length > 0 ? `<ul>\n${lists.join('\n')}\n</ul>` : f.status === 'confirmed' ? html`<p>Nothing of yours remains.</p>` : '')}
`;
  });
  return html`<section id="rescan">
<h2>Checked after the erasure</h2>
<p>Once every feature was erased, each store was searched again for you, as a request for access would search it. Only what this certificate says is kept or retained may remain; anything else is listed as a finding.</p>
${raw(features.join(''))}</section>
`;
}

/** GDPR Art. 19: who the data went to, feature by feature, and what the organization tells each of them. */
function recipientsSection(recipients: ReceiptRecipients[] | undefined): string {
  if (!recipients) return '';
  const rows = recipients.flatMap(({ name: feature, recipients: list }) =>
    list.map((r) => {
      const named = r.named?.length ? html`<br><span class="meta">Yours: ${r.named.join(', ')}</span>` : '';
      return html`<tr class="recipient"><td>${feature}</td><td>${r.name}${raw(named)}</td><td>${ROLE_WORDS[r.role]}</td><td>${r.tell}</td></tr>`;
    }),
  );
  return html`<section id="recipients">
<h2>Recipients told of this erasure</h2>
<p>Everyone your data went to, feature by feature. Your organization tells each of them of this erasure (GDPR Art. 19), and tells you who they are when you ask: they are these.</p>
<div class="scroll"><table>
<thead><tr><th>Feature</th><th>Recipient</th><th>Role</th><th>What your organization tells them</th></tr></thead>
<tbody>
${raw(rows.join('\n'))}
</tbody>
</table></div>
</section>
`;
}

export function seal(receipt: Seal): string {
  const { signature } = receipt;
  const rows: [string, string][] = [['Digest (SHA-256)', receipt.digest]];
  if (signature) rows.push(['Signature', `${signature.algorithm}, key ${signature.keyId}`], ['Signature value', signature.value]);
  else rows.push(['Signature', 'Not signed: the service had no signing key configured, so only the digest can be checked']);
  return html`<section id="verification">
<h2>Verification</h2>
${raw(definitionList(rows))}
<h3>How to verify</h3>
<ol>
<li>Take the JSON receipt of this request and remove its <code>digest</code> and <code>signature</code> members.</li>
<li>Write the rest as canonical JSON (RFC 8785): object keys sorted, no whitespace, UTF-8.</li>
<li>Its SHA-256, in hex, must equal the digest above.</li>
<li>The signature (base64) must be a valid Ed25519 signature of the 32 digest bytes under the service's public key, whose key id is the first 16 hex digits of the SHA-256 of the key in DER (SubjectPublicKeyInfo) form.</li>
</ol>
${raw(signature ? opensslSteps(receipt.digest, signature.value) : '')}</section>
`;
}

function opensslSteps(digest: string, signature: string): string {
  return html`<p>With OpenSSL, given the service's public key in <code>public.pem</code>:</p>
<pre>echo -n '${digest}' | xxd -r -p &gt; digest.bin
echo -n '${signature}' | base64 -d &gt; signature.bin
openssl pkeyutl -verify -pubin -inkey public.pem -rawin -in digest.bin -sigfile signature.bin</pre>
`;
}

export function definitionList(rows: [string, string][]): string {
  return `<dl>\n${rows.map(([term, value]) => html`<dt>${term}</dt><dd>${value}</dd>`).join('\n')}\n</dl>`;
}

function statusWords(status: string): string {
  return STATUS_WORDS[status] ?? status;
}

export function formatIso(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : formatDate(date);
}

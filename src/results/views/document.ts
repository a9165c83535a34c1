import { html, raw } from '../html.js';

/**
 * The frame every page of the access report shares (index.html and the pages/ it links to):
 * one inline style sheet, no scripts, nothing loaded from anywhere but the archive itself. The
 * readable deletion receipt uses the same frame with its own style sheet and a stricter policy.
 */

// Scripts are blocked outright: the pages show other people's words (messages, file names), and
// escaping is the first line of defence, this policy the second. Images and audio stay allowed
// (relative files of the archive).
const POLICY = "script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'";

const STYLE = `
:root { --ink: #1f2328; --muted: #59636e; --line: #d8dee4; --soft: #f3f5f7; --bg: #eef1f4; --accent: #1f5fbf; --mine: #e3edfb; --ok: #1d6b35; --okbg: #e3f3e8; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", "DejaVu Sans", sans-serif; color: var(--ink); margin: 0; background: var(--bg); }
main { max-width: 1080px; margin: 0 auto; padding: 28px 20px 56px; }
header, section { background: #fff; border: 1px solid var(--line); border-radius: 12px; padding: 22px 28px; margin-bottom: 22px; }
h1 { font-size: 1.8em; line-height: 1.2; margin: 0 0 10px; letter-spacing: -0.01em; }
h2 { font-size: 1.4em; line-height: 1.25; margin: 0 0 10px; }
h3 { font-size: 1.1em; margin: 26px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h4 { font-size: 1em; margin: 22px 0 8px; }
h5 { font-size: 1em; margin: 0; }
p { margin: 6px 0; }
a { color: var(--accent); text-underline-offset: 2px; }
code { font-size: 0.92em; background: var(--soft); padding: 1px 4px; border-radius: 4px; }
dl.request { display: grid; grid-template-columns: max-content 1fr; gap: 4px 18px; margin: 14px 0 0; }
dl.request dt { font-weight: 600; } dl.request dd { margin: 0; overflow-wrap: anywhere; }
.scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; }
table { border-collapse: collapse; width: 100%; font-size: 0.9em; }
th, td { border-bottom: 1px solid var(--line); padding: 6px 10px; text-align: left; vertical-align: top; }
th, td { overflow-wrap: break-word; }
td { white-space: pre-wrap; }
th { background: var(--soft); font-weight: 600; } th small { display: block; font-weight: normal; color: var(--muted); }
tbody tr:hover { background: #fafbfc; }
.note { display: inline-block; background: #fff1c7; border-radius: 4px; padding: 0 6px; margin-left: 4px; font-size: 0.85em; }
.examples, .count, .meta { color: var(--muted); }
.count, .meta { font-weight: normal; font-size: 0.88em; }
.notice { background: #eaf1fd; border-left: 4px solid #4a7bd0; padding: 8px 12px; border-radius: 0 6px 6px 0; }
.notice.error, .missing { color: #9b1c1c; } .notice.error { background: #fdeeee; border-left-color: #c53030; }
.gap { color: #8a4b00; } .notice.gaps { background: #fff6e5; border-left-color: #d08a1a; }
td img { display: block; max-width: 200px; max-height: 200px; margin-top: 4px; border-radius: 4px; }
.facts p { margin: 4px 0; }
nav.pages ol { display: flex; flex-wrap: wrap; gap: 6px 10px; list-style: none; padding: 0; margin: 8px 0; }
nav.pages a, nav.step a, nav.step span { display: inline-block; padding: 4px 12px; border: 1px solid var(--line); border-radius: 999px; text-decoration: none; background: #fff; }
nav.step { display: flex; justify-content: space-between; gap: 12px; margin: 12px 0; }
nav.step span { color: var(--muted); background: var(--soft); }
.crumbs { font-size: 0.92em; margin-bottom: 8px; }
.thread { border: 1px solid var(--line); border-radius: 12px; margin: 14px 0; overflow: hidden; }
.thread > header { border: 0; border-radius: 0; margin: 0; padding: 10px 16px; background: var(--soft); }
.thread ol { list-style: none; margin: 0; padding: 12px 16px; display: flex; flex-direction: column; gap: 10px; }
.thread > .empty { padding: 8px 16px; }
.message { max-width: min(36em, 88%); align-self: flex-end; background: var(--mine); border-radius: 14px 14px 4px 14px; padding: 8px 12px; }
.message.others { align-self: flex-start; background: var(--soft); border-radius: 14px 14px 14px 4px; }
.message .meta { font-size: 0.8em; }
.message .sender { font-weight: 600; color: var(--ink); }
.message p { margin: 2px 0 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.attachment { margin: 6px 0 0; font-size: 0.92em; overflow-wrap: anywhere; }
.attachment img { display: block; width: min(100%, 240px); height: auto; max-height: 320px; object-fit: contain; border-radius: 8px; margin-bottom: 2px; background: #fff; }
.attachment audio { display: block; width: 100%; max-width: 320px; margin-bottom: 2px; }
.day { margin: 20px 0 4px; font-size: 1em; color: var(--accent); }
.agenda { list-style: none; margin: 0; padding: 0; }
.agenda li { display: grid; grid-template-columns: 9em 1fr; gap: 2px 16px; padding: 10px 0; border-bottom: 1px solid var(--line); }
.agenda time { font-variant-numeric: tabular-nums; color: var(--muted); }
.agenda .title { font-weight: 600; }
.agenda p { margin: 2px 0 0; }
.role { display: inline-block; font-size: 0.8em; border-radius: 999px; padding: 0 8px; margin-left: 4px; background: var(--okbg); color: var(--ok); white-space: nowrap; }
.role.declined { background: #fdeeee; color: #9b1c1c; } .role.maybe { background: #fff1c7; color: #7a5a00; }
.tree, .tree ul { list-style: none; margin: 0; padding: 0; }
.tree ul { margin-left: 0.45em; padding-left: 1.1em; border-left: 1px solid var(--line); }
.tree li { margin: 4px 0; overflow-wrap: anywhere; }
.tree .name::before { content: ""; display: inline-block; width: 0.75em; height: 0.95em; margin-right: 0.45em; vertical-align: -0.1em; border: 1.5px solid #8a949e; border-radius: 2px; }
.tree .folder > .name { font-weight: 600; }
.tree .folder > .name::before { width: 1em; height: 0.75em; border: 0; background: #e9b949; border-radius: 2px 4px 2px 2px; }
.shared { font-size: 0.85em; color: var(--ok); }
.clock-in td:nth-child(-n+4) { white-space: nowrap; }
.clock-in td img { width: 72px; height: 72px; object-fit: cover; }
.coords { font-variant-numeric: tabular-nums; }
@media (max-width: 640px) {
  body { font-size: 15px; }
  main { padding: 12px 8px 40px; }
  header, section { padding: 16px 14px; border-radius: 10px; }
  h1 { font-size: 1.5em; }
  dl.request { grid-template-columns: 1fr; gap: 0; } dl.request dd { margin-bottom: 6px; }
  .agenda li { grid-template-columns: 1fr; }
  table.stack thead { display: none; }
  table.stack, table.stack tbody, table.stack tr, table.stack td { display: block; }
  table.stack tr { padding: 8px 0; border-bottom: 1px solid var(--line); }
  table.stack td { border: 0; padding: 1px 4px; }
  table.stack td:first-child { font-weight: 600; }
  .message { max-width: 94%; }
  .thread ol { padding: 10px; }
}
@media print { body { background: #fff; } header, section { border: none; } .scroll { overflow: visible; } nav.step { display: none; } }
`;

/** Another page's own style sheet and policy: the deletion receipt, which shows no files. */
export interface DocumentLook {
  style: string;
  policy: string;
}

export function documentStart(title: string, look: DocumentLook = { style: STYLE, policy: POLICY }): string {
  return html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${look.policy}">
<title>${title}</title>
<style>${raw(look.style)}</style>
</head>
<body>
<main>
`;
}

export const DOCUMENT_END = '</main>\n</body>\n</html>\n';

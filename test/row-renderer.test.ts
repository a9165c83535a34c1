import t from 'tap';
import type { FileRef, Row } from '../src/features/adapter.js';
import { DatasetRenderer, SpoolLineError } from '../src/results/export/row-renderer.js';
import type { RenderJob } from '../src/results/export/text-messages.js';

/**
 * An export's JSON and CSV rendered from a spool's bytes, however its chunks cut the lines: a line
 * across chunks, a character across chunks, CRLF line ends, empty lines, rows with files among rows
 * without, and a last line without its LF.
 */

const withFile = (row: Row, file: FileRef) => ({ ...row, file: `files/${file.name}` });
const fileRef = JSON.stringify({ blobKey: 'k', name: 'n.pdf', mediaType: 'application/pdf', size: 3 });
const spool = Buffer.from(
  [
    '{"id":"a","body":"x,y"}',
    '',
    '{"id":"b","body":"é你"}\r',
    `{"id":"c"}\t${fileRef}`,
    '{"id":"d","body":"=1+1"}',
  ].join('\n'),
);
const expectedJson = '[\n{"id":"a","body":"x,y"},\n{"id":"b","body":"é你"},\n{"id":"c","file":"files/n.pdf"},\n{"id":"d","body":"=1+1"}\n]\n';
const expectedCsv = 'id,body,file\r\na,"x,y",\r\nb,é你,\r\nc,,files/n.pdf\r\nd,\'=1+1,\r\n';

function render(chunks: Buffer[], job: RenderJob, file?: typeof withFile): string {
  const renderer = new DatasetRenderer(job, file);
  const out = [...renderer.start()];
  for (const chunk of chunks) out.push(...renderer.push(chunk));
  out.push(...renderer.end());
  return Buffer.concat(out).toString('utf8');
}

/** The spool cut at `a` and `b` (a <= b) into up to three chunks. */
function cut(bytes: Buffer, a: number, b: number): Buffer[] {
  return [bytes.subarray(0, a), bytes.subarray(a, b), bytes.subarray(b)].filter((c) => c.length > 0);
}

t.test('JSON and CSV are the same bytes wherever the chunks cut the spool', (t) => {
  let cuts = 0;
  for (let a = 0; a <= spool.length; a += 1) {
    for (let b = a; b <= spool.length; b += 1) {
      const chunks = cut(spool, a, b);
      const json = render(chunks, { kind: 'json', columns: [] }, withFile);
      const csv = render(chunks, { kind: 'csv', columns: ['id', 'body', 'file'] }, withFile);
      if (json !== expectedJson || csv !== expectedCsv) {
        t.same({ a, b, json, csv }, { a, b, json: expectedJson, csv: expectedCsv });
        return t.end();
      }
      cuts += 1;
    }
  }
  t.pass(`${cuts} ways of cutting the spool into chunks render the same`);
  const bytes = Array.from(spool, (byte) => Buffer.from([byte]));
  t.equal(render(bytes, { kind: 'json', columns: [] }, withFile), expectedJson, 'a byte at a time: JSON');
  t.equal(render(bytes, { kind: 'csv', columns: ['id', 'body', 'file'] }, withFile), expectedCsv, 'a byte at a time: CSV');
  t.end();
});

t.test('a dataset without files: its JSON is the lines as they are', (t) => {
  const lines = Buffer.from('{"id":"a"}\r\n\n{"id":"b"}\n');
  for (let a = 0; a <= lines.length; a += 1) {
    t.equal(render(cut(lines, a, a), { kind: 'json', columns: [] }), '[\n{"id":"a"},\n{"id":"b"}\n]\n', `cut at ${a}`);
  }
  t.equal(render([], { kind: 'json', columns: [] }), '[]\n', 'no rows: an empty array');
  t.equal(render([Buffer.from('\n\r\n')], { kind: 'json', columns: [] }), '[]\n', 'only empty lines: an empty array');
  t.equal(render([], { kind: 'csv', columns: ['id'] }), 'id\r\n', 'no rows: the CSV header');
  t.end();
});

t.test('a line that is not a row is an error naming its line number, not its content', (t) => {
  for (const [line, kind] of [
    ['secret text', 'csv'],
    ['[1,2]', 'csv'],
    ['{"id":"c"}\t{"name":"x"}', 'json'],
  ] as const) {
    const bytes = Buffer.from(`{"id":"a"}\n\n${line}\n`);
    t.throws(() => render([bytes], { kind, columns: ['id'] }, withFile), new SpoolLineError(3), `${kind}: ${line}`);
    try {
      render([bytes], { kind, columns: ['id'] }, withFile);
    } catch (err) {
      t.notMatch((err as Error).message, /secret|name/, 'the message holds no content');
    }
  }
  t.end();
});

import t, { type Test } from 'tap';
import { createHash } from 'node:crypto';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { auth, createRequest, startSystem, waitForEnd } from './helper.js';
import { ZipFile } from './zip.js';

// Every dataset's JSON in an export comes with its JSON Schema, listed in the manifest, and follows it.
const sys = await startSystem(t);
// The two exports are worked side by side: each waits on the worker most of its time.
t.jobs = 2;

async function exportOf(t: Test, accountId: string): Promise<ZipFile> {
  const req = await createRequest(sys, { type: 'export', subject: { accountId } });
  const done = await waitForEnd(sys, req.id);
  t.equal(done.status, 'completed', `${accountId}'s export completed`);
  const res = await sys.app.inject({ method: 'GET', url: `/v1/requests/${req.id}/report`, headers: auth(sys.keys.acme) });
  t.equal(res.statusCode, 200);
  return new ZipFile(res.rawPayload);
}

for (const accountId of ['alice', 'bob']) {
  t.test(`every JSON of ${accountId}'s export validates against its schema`, async (t) => {
    const zip = await exportOf(t, accountId);
    const names = zip.names();
    const manifest = zip.json<{ files: { path: string; sha256: string; mediaType: string }[] }>('manifest.json');
    const listed = new Map(manifest.files.map((f) => [f.path, f]));
    const datasets = names.filter((n) => /^[^/]+\/[^/]+\.json$/.test(n) && !n.endsWith('.schema.json') && !n.startsWith('files/'));
    t.ok(datasets.length > 10, `${datasets.length} datasets exported`);
    let rows = 0;
    for (const json of datasets) {
      const schemaPath = json.replace(/\.json$/, '.schema.json');
      t.ok(names.includes(schemaPath), `${schemaPath} is in the archive`);
      const entry = listed.get(schemaPath);
      t.equal(entry?.sha256, createHash('sha256').update(zip.read(schemaPath)).digest('hex'), `${schemaPath} is in the manifest with its hash`);
      t.equal(entry?.mediaType, 'application/schema+json');
      const schema = zip.json(schemaPath);
      t.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
      const ajv = addFormats.default(new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true }));
      const validate = ajv.compile(schema);
      const columns = Object.entries(schema.items.properties as Record<string, { type?: string[]; format?: string }>);
      for (const [column, value] of columns.filter(([c]) => c !== 'file' && c !== 'fileMissing')) {
        t.ok(value.type?.length === 2 && value.type[1] === 'null', `${json}: ${column} has a type of its own (${value.type?.join(', ')})`);
      }
      const data = zip.json<unknown[]>(json);
      rows += data.length;
      t.ok(validate(data), `${json} follows its schema`, { errors: validate.errors?.slice(0, 3) });
    }
    t.ok(rows > 0, `${rows} rows checked`);
    const messages = zip.json('im/messages.schema.json').items.properties;
    t.match(messages.sent_at, { type: ['string', 'null'], format: 'date-time' }, "a message's time is a date-time");
    t.notOk(
      names.some((n) => n.endsWith('.schema.json') && !names.includes(n.replace(/\.schema\.json$/, '.json'))),
      'no schema without its JSON',
    );
  });
}

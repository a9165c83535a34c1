import t from 'tap';
import { auth, createRequest, startSystem, waitForEnd } from './helper.js';
import { ZipFile } from './zip.js';

// The access report viewed online, exactly as in the archive: with the API key, or through a link.
const sys = await startSystem(t);
const { app, keys } = sys;
const req = await createRequest(sys, { type: 'access', subject: { accountId: 'alice' }, features: ['im', 'clock-in'] });
await waitForEnd(sys, req.id);
const zip = new ZipFile(
  (await app.inject({ method: 'GET', url: `/v1/requests/${req.id}/report`, headers: auth(keys.acme) })).rawPayload,
);
const image = zip.names().find((n) => n.startsWith('files/') && n.endsWith('.png'))!;

t.test('with the API key', async (t) => {
  const base = `/v1/requests/${req.id}/report/view/`;
  const index = await app.inject({ method: 'GET', url: `${base}index.html`, headers: auth(keys.acme) });
  t.equal(index.statusCode, 200);
  t.match(index.headers['content-type'], /^text\/html/);
  t.equal(index.body, zip.text('index.html'), 'the page is the one in the archive');
  t.match(index.headers['content-security-policy'], /script-src 'none'/);
  const png = await app.inject({ method: 'GET', url: base + image.split('/').map(encodeURIComponent).join('/'), headers: auth(keys.acme) });
  t.equal(png.statusCode, 200);
  t.same(png.rawPayload, zip.read(image), 'files come out byte for byte');
  const empty = await app.inject({ method: 'GET', url: base, headers: auth(keys.acme) });
  t.equal(empty.statusCode, 302);
  t.equal(empty.headers.location, 'index.html');
  for (const path of ['../../etc/passwd', '%2e%2e/%2e%2e/etc/passwd', 'files%2F..%2F..%2Findex.html', 'no-such-file.html']) {
    const res = await app.inject({ method: 'GET', url: base + path, headers: auth(keys.acme) });
    t.equal(res.statusCode, 404, path);
  }
  t.equal((await app.inject({ method: 'GET', url: `${base}index.html`, headers: auth(keys.globex) })).statusCode, 404);
  t.equal((await app.inject({ method: 'GET', url: `${base}index.html` })).statusCode, 401);
  const viewed = (await sys.ctx.repo.events(req.id)).filter((e) => e.kind === 'report_viewed');
  t.equal(viewed.length, 1, "the owner's view of index.html is recorded");
  t.match(viewed[0], { actorType: 'api_key' });
});

t.test('through a link, as a browser opens it', async (t) => {
  const link = (
    await app.inject({ method: 'POST', url: `/v1/requests/${req.id}/links`, headers: auth(keys.acme), payload: { maxDownloads: 1 } })
  ).json();
  const base = `${new URL(link.url).pathname}/view/`;
  const index = await app.inject({ method: 'GET', url: `${base}index.html` });
  t.equal(index.statusCode, 200);
  t.equal(index.body, zip.text('index.html'));
  const png = await app.inject({ method: 'GET', url: base + image.split('/').map(encodeURIComponent).join('/') });
  t.same(png.rawPayload, zip.read(image));
  t.equal((await app.inject({ method: 'GET', url: new URL(link.url).pathname })).statusCode, 200, 'viewing used up no download');
  // Used up: the report is no longer served through the link, not even page by page.
  for (const path of ['index.html', 'data.json', image.split('/').map(encodeURIComponent).join('/')]) {
    const res = await app.inject({ method: 'GET', url: base + path });
    t.equal(res.statusCode, 410, `${path} through a used-up link`);
    t.match(res.json(), { status: 410, title: 'Gone' });
  }
  const viewed = (await sys.ctx.repo.events(req.id)).filter((e) => e.kind === 'report_viewed' && e.detail?.linkId === link.id);
  t.equal(viewed.length, 1, 'the one view of index.html through the link is recorded, not each image');
  const forged = base.replace(/\/downloads\/[^/]+/, `/downloads/${'A'.repeat(64)}`);
  t.equal((await app.inject({ method: 'GET', url: `${forged}index.html` })).statusCode, 403);
});

t.test('only access reports are viewable', async (t) => {
  const deletion = await createRequest(sys, { type: 'deletion', subject: { accountId: 'nobody' }, features: ['im'] });
  await waitForEnd(sys, deletion.id);
  const res = await app.inject({ method: 'GET', url: `/v1/requests/${deletion.id}/report/view/index.html`, headers: auth(keys.acme) });
  t.equal(res.statusCode, 404);

  // Every route that serves result content sends the same headers: personal data, never cached, never sniffed, no scripts.
  const receipt = await app.inject({ method: 'GET', url: `/v1/requests/${deletion.id}/receipt`, headers: auth(keys.acme) });
  const report = await app.inject({ method: 'GET', url: `/v1/requests/${req.id}/report`, headers: auth(keys.acme) });
  const view = await app.inject({ method: 'GET', url: `/v1/requests/${req.id}/report/view/index.html`, headers: auth(keys.acme) });
  for (const [name, served] of Object.entries({ receipt, report, view })) {
    t.equal(served.statusCode, 200, name);
    t.equal(served.headers['cache-control'], 'private, no-store', name);
    t.equal(served.headers['x-content-type-options'], 'nosniff', name);
    t.match(served.headers['content-security-policy'], /script-src 'none'/, name);
    t.match(served.headers['content-security-policy'], /frame-ancestors 'none'/, name);
  }
});

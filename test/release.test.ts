import t from 'tap';
import { auth, startSystem, subjectToken, VERIFIED, waitForEnd } from './helper.js';
import { ZipFile } from './zip.js';

// Review before release: a tenant's access and export results wait for an agent, who previews them,
// may withhold items with a reason (GDPR Art. 15(4)), and releases them to the subject.
const sys = await startSystem(t);
const { app, keys } = sys;
const agent = await sys.ctx.apiKeys.create('acme', 'release agent', 'agent');

const call = (method: 'GET' | 'POST' | 'PUT', url: string, credential: string, payload?: object) =>
  app.inject({ method, url, headers: auth(credential), ...(payload ? { payload } : {}) });

async function waitForStatus(id: string, status: string) {
  for (let i = 0; i < 600; i++) {
    const body = (await call('GET', `/v1/requests/${id}`, agent)).json();
    if (body.status === status) return body;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`request ${id} never reached ${status}`);
}

const ask = async (type: string, accountId: string, features: string[]) => {
  const res = await call('POST', '/v1/requests', agent, { type, subject: { accountId }, features, verification: VERIFIED });
  t.equal(res.statusCode, 202);
  t.equal(res.json().releaseReview, true, 'the tenant reviews results: decided when the request is taken');
  return res.json().id as string;
};

t.test('the tenant turns review before release on', async (t) => {
  const settings = { access: 'auto', export: 'auto', deletion: 'review', release: 'review' };
  const put = await call('PUT', '/v1/tenant/approval', keys.acme, settings);
  t.equal(put.statusCode, 200);
  t.same(put.json(), settings);
  t.equal((await call('PUT', '/v1/tenant/approval', agent, settings)).statusCode, 403, 'an admin setting');
  const deletion = await call('POST', '/v1/requests', agent, { type: 'deletion', subject: { accountId: 'carol' }, verification: VERIFIED });
  t.equal(deletion.json().releaseReview, false, 'a deletion receipt is never held back');
});

t.test('an access result waits for release: previewed by the team, not seen by the subject', async (t) => {
  const id = await ask('access', 'alice', ['im', 'calendar']);
  const waiting = await waitForStatus(id, 'awaiting_release');
  t.notOk(waiting.completedAt, 'not completed: retention starts on release');
  t.ok(waiting.result, 'the result is there, for the team');

  const subject = await subjectToken(sys, 'acme', 'alice');
  const seen = await call('GET', `/v1/requests/${id}`, subject);
  t.equal(seen.json().status, 'awaiting_release', 'the subject sees where their request is');
  for (const url of [`/v1/requests/${id}/report`, `/v1/requests/${id}/report/view/index.html`]) {
    const res = await call('GET', url, subject);
    t.equal(res.statusCode, 409, `subject: ${url}`);
    t.match(res.json(), { type: 'urn:dsar:problem:not-released' });
  }
  const link = await call('POST', `/v1/requests/${id}/links`, agent, {});
  t.equal(link.statusCode, 409, 'no link to the subject before release');
  t.match((await call('POST', `/v1/requests/${id}/cancel`, subject)).json(), { status: 409, type: 'urn:dsar:problem:result-awaiting-release' });

  const preview = await call('GET', `/v1/requests/${id}/report`, agent);
  t.equal(preview.statusCode, 200, 'the agent previews the archive');
  const previewed = new ZipFile(preview.rawPayload).json('data.json');
  const im = previewed.features.find((f: { id: string }) => f.id === 'im');
  t.ok(im.datasets.messages.length > 0, 'the preview holds the messages');
  const page = await call('GET', `/v1/requests/${id}/report/view/index.html`, agent);
  t.equal(page.statusCode, 200, 'and views the report online');

  const unknown = await call('POST', `/v1/requests/${id}/release`, agent, {
    withhold: [
      { feature: 'im', dataset: 'no-such-dataset', reason: 'third_party_rights' },
      { feature: 'clock-in', reason: 'other' },
    ],
  });
  t.equal(unknown.statusCode, 422, 'only what the result holds can be withheld');
  t.match(unknown.json(), { errors: [{ field: '/withhold/0/dataset', message: /messages/ }, { field: '/withhold/1/feature' }] });
  t.equal((await call('POST', `/v1/requests/${id}/release`, subject, {})).statusCode, 403, 'the subject cannot release');

  const released = await call('POST', `/v1/requests/${id}/release`, agent, {
    withhold: [{ feature: 'im', dataset: 'messages', reason: 'third_party_rights', note: 'Messages quote a colleague at length' }],
  });
  t.equal(released.statusCode, 200);
  t.match(released.json(), { status: 'processing', withheld: [{ feature: 'im', dataset: 'messages', reason: 'third_party_rights' }] });
  t.notOk(JSON.stringify(released.json()).includes('colleague'), "the agent's note is for the trail, not the subject");
  t.equal((await call('POST', `/v1/requests/${id}/release`, agent, {})).statusCode, 409, 'released once');

  const done = await waitForEnd(sys, id, agent);
  t.equal(done.status, 'completed');
  t.ok(done.completedAt && done.releasedAt);
  const res = await call('GET', `/v1/requests/${id}/report`, subject);
  t.equal(res.statusCode, 200, 'the subject downloads it once released');
  const zip = new ZipFile(res.rawPayload);
  const data = zip.json('data.json');
  const imNow = data.features.find((f: { id: string }) => f.id === 'im');
  t.equal(imNow.withheld.length, 1);
  t.match(imNow.withheld[0], { dataset: 'messages', title: /\w/, reason: 'third_party_rights' }, 'listed as withheld, with the reason');
  t.notOk('messages' in imNow.datasets, 'the withheld messages are not in the result');
  t.ok(imNow.datasets.conversations.length > 0, 'the rest of the feature is');
  const calendar = data.features.find((f: { id: string }) => f.id === 'calendar');
  t.same(calendar.datasets, previewed.features.find((f: { id: string }) => f.id === 'calendar').datasets, 'other features as previewed');
  t.equal(data.request.createdAt, previewed.request.createdAt, "built again, it states the time the preview stated: the request's");
  t.notOk('completedAt' in data.request, 'not the release, which starts retention');
  const html = zip.text('index.html');
  t.match(html, /Withheld from this report/);
  t.match(html, /other people&#39;s personal data|other people's personal data/);
  t.notOk(zip.names().some((n) => n.includes('colleague')));

  const events = (await call('GET', `/v1/requests/${id}/events`, agent)).json().items;
  const kinds = events.map((e: { kind: string }) => e.kind);
  t.ok(kinds.indexOf('awaiting_release') < kinds.indexOf('released') && kinds.indexOf('released') < kinds.indexOf('completed'), kinds.join(' → '));
  t.match(events.find((e: { kind: string }) => e.kind === 'released'), {
    actor: { type: 'api_key', name: 'release agent' },
    detail: { withheld: [{ feature: 'im', dataset: 'messages', reason: 'third_party_rights' }] },
  });
});

t.test('an export released as it is: the subject gets the result the agent previewed', async (t) => {
  const id = await ask('export', 'bob', ['calendar']);
  const waiting = await waitForStatus(id, 'awaiting_release');
  const released = await call('POST', `/v1/requests/${id}/release`, agent, {});
  t.equal(released.statusCode, 200);
  const done = await waitForEnd(sys, id, agent);
  t.equal(done.status, 'completed');
  t.equal(done.result.sha256, waiting.result.sha256, 'not built again');
  const link = await call('POST', `/v1/requests/${id}/links`, agent, {});
  t.equal(link.statusCode, 201, 'links once released');
});

t.test('withholding a whole feature stands for each of its datasets', async (t) => {
  const id = await ask('access', 'bob', ['im', 'calendar']);
  await waitForStatus(id, 'awaiting_release');
  const released = await call('POST', `/v1/requests/${id}/release`, agent, { withhold: [{ feature: 'calendar', reason: 'legal_exemption' }] });
  t.equal(released.statusCode, 200);
  const withheld = released.json().withheld as { feature: string; dataset: string }[];
  t.ok(withheld.length > 0 && withheld.every((w) => w.feature === 'calendar' && w.dataset), JSON.stringify(withheld));
  await waitForEnd(sys, id, agent);
  const data = new ZipFile((await call('GET', `/v1/requests/${id}/report`, agent)).rawPayload).json('data.json');
  const calendar = data.features.find((f: { id: string }) => f.id === 'calendar');
  t.same(Object.keys(calendar.datasets), [], 'no calendar data in the result');
  const withheldItems = calendar.items.filter((i: { outcome: string }) => i.outcome === 'withheld');
  t.ok(withheldItems.length > 0, 'its items say they were withheld');
  t.ok(withheldItems.every((i: { reason: string }) => i.reason === 'legal_exemption'));
  t.ok(data.features.find((f: { id: string }) => f.id === 'im').datasets.messages.length > 0);
});

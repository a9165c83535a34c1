import t from 'tap';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { ZipFile } from 'yazl';
import { LocalBlobStore } from '../src/blobs/blob-store.js';
import { catalogue } from '../src/catalogue/catalogue.js';
import { assembleResult } from '../src/results/assemble.js';
import { readArchiveEntry } from '../src/results/zip/archive-reader.js';
import { auth, createRequest, startSystem, waitForEnd } from './helper.js';
import type { CollectedRecord } from '../src/features/adapter.js';
import { writePartial } from '../src/results/partials/partials.js';

const SCREENSHOT_TIMEOUT_MS = 180_000;

/**
 * The access report as a person sees it: a real system answers an access request for alice, the
 * archive is unzipped and opened from disk in headless Chromium, and what is visible is checked
 * against the stores. A second archive of the same data with tiny pages checks the pagination.
 * Screenshots go to test-artifacts/ (report.png, report-phone.png) for people to look at.
 */

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const ARTIFACTS = path.resolve('test-artifacts');
const PAGE_ROWS = 5;
const VIEWED = ['im', 'calendar', 'clouddrive', 'clock-in'];

const sys = await startSystem(t);
const { ctx } = sys;
const sql = ctx.database.sql;

// A title with markup: the report must show it as text and run nothing.
const HOSTILE_TITLE = 'Reading list <script>alert(1)</script> & "more"';
await sql`update im.conversations set title = ${HOSTILE_TITLE} where tenant_id = 'acme' and title = 'Reading list'`;

const created = await createRequest(sys, { type: 'access', subject: { accountId: 'alice' } });
const done = await waitForEnd(sys, created.id);
const download = await sys.app.inject({ method: 'GET', url: `/v1/requests/${done.id}/report`, headers: auth(sys.keys.acme) });
const reportDir = unzip(download.rawPayload);
const paged = await pagedArchive(done.id);
const pagedDir = unzip(await readAll(ctx.results.get(paged.key)));

const messageCount = await count(sql`select count(*)::int as n from im.messages where tenant_id = 'acme' and sender_account_id = 'alice'`);
const fileCount = await count(sql`select count(*)::int as n from clouddrive.files where tenant_id = 'acme' and owner_account_id = 'alice'`);
const recordCount = await count(sql`select count(*)::int as n from clock_in.records where tenant_id = 'acme' and account_id = 'alice'`);

async function count(query: PromiseLike<readonly Record<string, unknown>[]>): Promise<number> {
  const [row] = await query;
  return Number(row?.n);
}

function unzip(bytes: Buffer): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dsar-report-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'archive.zip'), bytes);
  execFileSync('unzip', ['-q', path.join(dir, 'archive.zip'), '-d', path.join(dir, 'report')], {
    env: { ...process.env, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' },
  });
  return path.join(dir, 'report');
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * The partials are gone once a request is answered, so the four features are collected again
 * with their adapters, and the same report is assembled under another id with tiny pages.
 */
async function pagedArchive(requestId: string) {
  const request = (await ctx.repo.findById(requestId))!;
  const subject = { tenantId: 'acme', accountId: 'alice' };
  const tasks = [];
  for (const task of await ctx.repo.tasksOf(requestId)) {
    if (!VIEWED.includes(task.feature)) continue;
    const adapter = ctx.adapters.get(task.feature)!;
    const adapterCtx = { sql: ctx.featureSql(task.feature), blobs: ctx.featureBlobs, log: ctx.log };
    const partialKey = `test-partials/${requestId}/${task.feature}.ndjson`;
    await writePartial(ctx.results, partialKey, adapter.collect(subject, adapterCtx), adapter.datasets);
    tasks.push({ ...task, partialKey });
  }
  return assembleResult({
    request: { ...request, id: randomUUID() },
    tasks,
    catalogue: ctx.catalogue,
    datasets: new Map(tasks.map((task) => [task.feature, task.datasets ?? []])),
    results: ctx.results,
    featureBlobs: ctx.featureBlobs,
    pageRows: PAGE_ROWS,
  });
}

t.test('the report is written for reading offline', async (t) => {
  const index = readFileSync(path.join(reportDir, 'index.html'), 'utf8');
  t.notMatch(index, /<script\b/i, 'no script, the title with markup included');
  t.match(index, 'Reading list &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;more&quot;');
  t.notOk(existsSync(path.join(reportDir, 'pages')), 'alice fits on one page at the default page size');
  const pages = readdirSync(path.join(pagedDir, 'pages'));
  t.ok(pages.includes('im-messages-1.html') && pages.includes('clock-in-records-1.html'), 'small pages: listings move to pages/');
  for (const page of pages) t.notMatch(readFileSync(path.join(pagedDir, 'pages', page), 'utf8'), /<script\b|(src|href)="(https?:)?\/\//i, page);
});

t.test('entries are served from the stored archive as they are', async (t) => {
  const key = (await ctx.repo.findById(done.id))!.resultKey!;
  const index = await readArchiveEntry(ctx.results, key, 'index.html');
  t.match(index, { mediaType: 'text/html; charset=utf-8', disposition: 'inline' });
  t.same(await readAll(index!.stream), readFileSync(path.join(reportDir, 'index.html')), 'index.html byte for byte');

  const image = firstFile(reportDir, /\.png$/);
  const entry = await readArchiveEntry(ctx.results, key, image);
  t.match(entry, { mediaType: 'image/png', disposition: 'inline', size: readFileSync(path.join(reportDir, image)).length });
  t.same(await readAll(entry!.stream), readFileSync(path.join(reportDir, image)), `${image} byte for byte`);

  const page = await readArchiveEntry(ctx.results, paged.key, 'pages/im-messages-2.html');
  t.same(await readAll(page!.stream), readFileSync(path.join(pagedDir, 'pages', 'im-messages-2.html')), 'a page of the paged report');

  for (const bad of ['missing.html', '../index.html', '/index.html', 'files/../index.html', 'files/', '']) {
    t.equal(await readArchiveEntry(ctx.results, key, bad), undefined, `nothing for "${bad}"`);
  }
  t.equal(await readArchiveEntry(ctx.results, 'results/none/none.zip', 'index.html'), undefined, 'nothing without an archive');
});

t.test('uploaded pages are offered as downloads, not opened', async (t) => {
  const store = new LocalBlobStore(t.testdir());
  const zip = new ZipFile();
  zip.addBuffer(Buffer.from('<h1>hi</h1>'), 'files/clouddrive/files/1-page.html');
  zip.addBuffer(Buffer.from('x'), 'files/clouddrive/files/2-thing.bin');
  zip.end();
  await store.put('a.zip', zip.outputStream as unknown as Readable);
  t.match(await readArchiveEntry(store, 'a.zip', 'files/clouddrive/files/1-page.html'), { disposition: 'attachment' });
  t.match(await readArchiveEntry(store, 'a.zip', 'files/clouddrive/files/2-thing.bin'), {
    mediaType: 'application/octet-stream',
    disposition: 'attachment',
  });
});

t.test('odd data: nothing is left out, everything is escaped', async (t) => {
  const request = (await ctx.repo.findById(done.id))!;
  const id = randomUUID();
  const png = readFileSync(path.join(reportDir, firstFile(reportDir, /\.png$/)));
  await ctx.featureBlobs.put(`odd/${id}/photo`, png);
  await ctx.featureBlobs.put(`odd/${id}/notes`, 'notes');
  const photo = { blobKey: `odd/${id}/photo`, name: 'photo.png', mediaType: 'image/png', size: png.length };
  const notes = { blobKey: `odd/${id}/notes`, name: '<i>notes</i>.txt', mediaType: 'text/plain', size: 5 };
  const im: CollectedRecord[] = [
    { dataset: 'conversations', row: { id: 'c1', kind: 'group', title: '<b>Bold</b> title', created_at: '2025-01-01T00:00:00Z' } },
    { dataset: 'messages', row: { id: 'm1', conversation_id: 'c1', sender_account_id: 'alice', kind: 'image', body: '<i>hi</i>', sent_at: '2025-01-01T10:00:00Z' } },
    { dataset: 'messages', row: { id: 'm2', conversation_id: 'gone', sender_account_id: 'bob', kind: 'text', body: 'in a conversation not held', sent_at: '2025-01-01T11:00:00Z' } },
    { dataset: 'attachments', row: { message_id: 'm1', file_name: 'photo.png' }, file: photo },
    { dataset: 'attachments', row: { message_id: 'no-such-message', file_name: '<i>notes</i>.txt' }, file: notes },
  ];
  const drive: CollectedRecord[] = [
    { dataset: 'folders', row: { id: 'f1', parent_id: 'f2', name: 'Loop one' } },
    { dataset: 'folders', row: { id: 'f2', parent_id: 'f1', name: 'Loop two' } },
    { dataset: 'folders', row: { id: 'f3', parent_id: 'someone-elses', name: 'Inside a shared folder' } },
    { dataset: 'files', row: { id: 'x1', folder_id: 'f1', name: 'in-loop.txt', size: 1 } },
    { dataset: 'files', row: { id: 'x2', folder_id: 'unknown', name: 'elsewhere.txt', size: 2 } },
    { dataset: 'files', row: { id: 'x3', folder_id: null, name: 'loose.txt', size: 3 } },
  ];
  const described = {
    im: [
      { name: 'conversations', title: 'Conversations', columns: ['id', 'kind', 'title', 'created_at'], items: {} },
      { name: 'messages', title: 'Messages', columns: ['id', 'conversation_id', 'sender_account_id', 'kind', 'body', 'sent_at'], items: {} },
      { name: 'attachments', title: 'Attachments', columns: ['message_id', 'file_name'], items: {} },
    ],
    clouddrive: [
      { name: 'folders', title: 'Folders', columns: ['id', 'parent_id', 'name'], items: {} },
      { name: 'files', title: 'Files', columns: ['id', 'folder_id', 'name', 'size'], items: {} },
    ],
  };
  const tasks = [];
  for (const task of await ctx.repo.tasksOf(done.id)) {
    if (task.feature !== 'im' && task.feature !== 'clouddrive') continue;
    const partialKey = `test-partials/${id}/${task.feature}.ndjson`;
    const records = task.feature === 'im' ? im : drive;
    await writePartial(ctx.results, partialKey, records, described[task.feature]);
    tasks.push({ ...task, partialKey, datasets: described[task.feature] });
  }
  const result = await assembleResult({
    request: { ...request, id },
    tasks,
    catalogue: ctx.catalogue,
    datasets: new Map(tasks.map((task) => [task.feature, task.datasets])),
    results: ctx.results,
    featureBlobs: ctx.featureBlobs,
    pageRows: 1,
  });
  const dir = unzip(await readAll(ctx.results.get(result.key)));
  const pages = readdirSync(path.join(dir, 'pages')).sort();
  t.same(pages, ['clouddrive-files-1.html', 'clouddrive-files-2.html', 'clouddrive-files-3.html', 'im-messages-1.html', 'im-messages-2.html']);
  const read = (page: string) => readFileSync(path.join(dir, 'pages', page), 'utf8');

  const first = read('im-messages-1.html');
  t.match(first, '&lt;b&gt;Bold&lt;/b&gt; title');
  t.match(first, '<p>&lt;i&gt;hi&lt;/i&gt;</p>');
  t.match(first, '<img src="../files/im/attachments/1-photo.png" alt="photo.png"');
  t.notMatch(first, /<[bi]>/, 'no markup from the data');
  const last = read('im-messages-2.html');
  t.match(last, 'Conversation gone');
  t.match(last, 'in a conversation not held');
  t.match(last, 'Attachments of messages not shown above', 'an attachment without its message is still listed');
  t.match(last, '<a href="../files/im/attachments/2-i_notes__i_.txt">&lt;i&gt;notes&lt;/i&gt;.txt</a>');
  t.ok(existsSync(path.join(dir, 'files/im/attachments/2-i_notes__i_.txt')));

  const drivePages = ['clouddrive-files-1.html', 'clouddrive-files-2.html', 'clouddrive-files-3.html'].map(read);
  for (const name of ['in-loop.txt', 'elsewhere.txt', 'loose.txt']) {
    t.equal(drivePages.filter((page) => page.includes(name)).length, 1, `${name} on exactly one page`);
  }
  const all = drivePages.join('');
  for (const name of ['Loop one', 'Loop two', 'Inside a shared folder', 'In folders of other people']) t.match(all, name);
});

function firstFile(dir: string, pattern: RegExp): string {
  const files = readdirSync(path.join(dir, 'files'), { recursive: true, encoding: 'utf8' });
  const found = files.find((f) => pattern.test(f));
  if (!found) throw new Error(`no file like ${pattern} in the archive`);
  return `files/${found.split(path.sep).join('/')}`;
}

const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: install Debian's chromium package (CI does)`;

t.test('what a person sees in Chromium', { skip }, async (t) => {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  t.teardown(() => browser.close());
  const { page, outside, dialogs } = await open(browser, path.join(reportDir, 'index.html'));

  t.test('summary', async (t) => {
    const rows = page.locator('#summary tbody tr');
    t.equal(await rows.count(), catalogue.features.length, 'a row per feature');
    const text = await page.locator('#summary').innerText();
    for (const feature of catalogue.features) t.match(text, feature.name, feature.id);
    t.match(await rows.filter({ hasText: 'Instant messaging' }).innerText(), `Messages: ${messageCount} rows`);
    const header = await page.locator('header dl.request').innerText();
    t.match(header, done.id);
    t.match(header, catalogue.version);
    t.match(header, 'alice');
  });

  t.test('a conversation as a thread', async (t) => {
    const phoenix = thread(page, 'Project Phoenix');
    t.ok(await phoenix.isVisible(), 'the Project Phoenix thread');
    const [first] = await sql`select m.body from im.messages m join im.conversations c on c.id = m.conversation_id
      where c.title = 'Project Phoenix' and m.sender_account_id = 'alice' and m.kind = 'text' order by m.sent_at, m.id limit 1`;
    const message = phoenix.locator('li.message', { hasText: first!.body }).first();
    t.ok(await message.isVisible(), 'shows a message alice sent');
    t.equal(await message.locator('.sender').innerText(), 'alice (you)', 'with its sender');
    const times = await phoenix.locator('li.message time').evaluateAll((els) => els.map((el) => el.getAttribute('datetime')!));
    t.same(times, [...times].sort(), 'in time order');
    const sent = await count(sql`select count(*)::int as n from im.messages m join im.conversations c on c.id = m.conversation_id
      where c.title = 'Project Phoenix' and m.sender_account_id = 'alice'`);
    t.equal(times.length, sent, 'every message alice sent in it');
    t.ok((await thread(page, 'Direct conversation').count()) >= 1, 'her direct conversation with bob, among others');
    t.equal(await thread(page, HOSTILE_TITLE).count(), 1, 'the title with markup, shown as text');
    t.same(dialogs, [], 'nothing ran');

    const voice = phoenix.locator('audio[controls]').first();
    t.ok(existsSync(fileURLToPath(await voice.evaluate((el) => (el as unknown as { src: string }).src))), 'voice plays the archived file');
    t.ok(await loadedImage(phoenix.locator('.attachment img').first()), 'an image attachment shows');
  });

  t.test('the calendar as an agenda', async (t) => {
    const day = page.locator('#feature-calendar h5.day', { hasText: 'Monday, 3 March 2025' });
    t.ok(await day.isVisible(), 'a day heading');
    const kickoff = await page.locator('#feature-calendar .agenda li', { hasText: 'Project Phoenix kickoff' }).innerText();
    t.match(kickoff, /10:00–1\d:\d\d/);
    t.match(kickoff, 'Organizer');
    const review = await page.locator('#feature-calendar .agenda li', { hasText: 'Quarterly pipeline review' }).innerText();
    t.match(review, 'Attendee: declined');
    t.match(review, 'organized by bob');
  });

  t.test('the drive as a folder tree', async (t) => {
    const tree = page.locator('#feature-clouddrive ul.tree');
    const logo = tree.locator('li.file a', { hasText: 'logo.png' });
    t.same(await folderChain(logo), ['Assets', 'Project Phoenix', 'My drive'], 'nested in its folders');
    t.ok(existsSync(fileURLToPath(await logo.evaluate((a) => (a as unknown as { href: string }).href))), 'links its archived copy');
    const text = await tree.innerText();
    t.match(text, /Project Phoenix\s*· shared with bob \(editor\)/);
    t.match(text, /team-photo\.png\s+[\d.]+ (bytes|KB)[^\n]*· shared with carol \(viewer\)/);
    t.equal(await tree.locator('li.file').count(), fileCount, 'every file of hers');
  });

  t.test('clock-ins with coordinates and the face image', async (t) => {
    const rows = page.locator('#feature-clock-in table.clock-in tbody tr');
    t.equal(await rows.count(), recordCount);
    const withFace = rows.filter({ has: page.locator('img') }).first();
    t.match(await withFace.innerText(), /Clock-(in|out)\s+face\s+\d+\.\d{6}, \d+\.\d{6}/);
    t.ok(await loadedImage(withFace.locator('img')), 'the face image loads');
  });

  t.test('screenshots', async (t) => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const phone = await open(browser, path.join(reportDir, 'index.html'), { width: 390, height: 844 });
    const overflow = await phone.page.evaluate('document.documentElement.scrollWidth - window.innerWidth');
    t.equal(overflow, 0, 'nothing wider than a phone: wide tables scroll inside their box');
    // Rendering the whole long report is most of this file's time, so both are taken side by side; on a
    // loaded machine it takes a while, and the timeout only guards a hang.
    const screenshot = async (opened: Page, file: string) => {
      await loadAllImages(opened);
      await opened.screenshot({ path: path.join(ARTIFACTS, file), fullPage: true, timeout: SCREENSHOT_TIMEOUT_MS });
    };
    await Promise.all([screenshot(page, 'report.png'), screenshot(phone.page, 'report-phone.png')]);
    t.same(phone.outside, []);
  });

  t.test('pages of a long report', async (t) => {
    const paged = await open(browser, path.join(pagedDir, 'index.html'));
    const links = paged.page.locator('#feature-im').getByRole('navigation', { name: 'Pages of Conversations and messages' }).locator('a');
    const pages = Math.ceil(messageCount / PAGE_ROWS);
    t.equal(await links.count(), pages, 'index.html links every page of the messages');
    for (const href of await links.evaluateAll((as) => as.map((a) => (a as unknown as { href: string }).href))) {
      t.ok(existsSync(fileURLToPath(href)), `${path.basename(href)} exists`);
    }
    await links.first().click();
    await paged.page.waitForURL(/pages\/im-messages-1\.html$/);
    t.equal(await paged.page.locator('a[rel=prev]').count(), 0, 'no previous page on the first');
    await paged.page.locator('a[rel=next]').first().click();
    await paged.page.waitForURL(/pages\/im-messages-2\.html$/);
    t.ok(await paged.page.locator('a[rel=prev]').first().isVisible(), 'previous page link');
    t.match(await paged.page.locator('h1').innerText(), 'Conversations and messages');
    const style = (p: Page) => p.locator('style').innerText();
    t.equal(await style(paged.page), await style(page), 'the same style sheet');
    await paged.page.locator('.crumbs a').last().click();
    await paged.page.waitForURL(/index\.html#feature-im$/);

    t.equal(await countOnPages(paged.page, 'im-messages', 'li.message'), messageCount, 'the message pages hold every message once');
    t.equal(await countOnPages(paged.page, 'clouddrive-files', 'li.file'), fileCount, 'the drive pages hold every file once');
    t.equal(await countOnPages(paged.page, 'clock-in-records', 'tbody tr'), recordCount, 'the clock-in pages hold every record once');
    await paged.page.goto(pathToFileURL(path.join(pagedDir, 'pages', 'clock-in-records-1.html')).href);
    t.ok(await loadedImage(paged.page.locator('td img').first()), 'files load from a page too (../files)');
    t.same(paged.outside, [], 'nothing but files');
    t.same(paged.dialogs, []);
  });

  t.test('nothing but files was requested', async (t) => {
    t.same(outside, []);
  });
});

interface Opened {
  page: Page;
  /** Every URL the page asked for that is not a file of the archive. */
  outside: string[];
  dialogs: string[];
}

async function open(browser: Browser, file: string, viewport = { width: 1280, height: 900 }): Promise<Opened> {
  const context = await browser.newContext({ viewport });
  const outside: string[] = [];
  const dialogs: string[] = [];
  await context.route('**/*', (route) => {
    if (route.request().url().startsWith('file:')) return route.continue();
    outside.push(route.request().url());
    return route.abort();
  });
  context.on('request', (request) => {
    if (!request.url().startsWith('file:') && !outside.includes(request.url())) outside.push(request.url());
  });
  const page = await context.newPage();
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.goto(pathToFileURL(file).href);
  return { page, outside, dialogs };
}

function thread(page: Page, title: string): Locator {
  return page.locator('article.thread', { has: page.locator('h5').getByText(title, { exact: true }) });
}

/** The names of the folders around an element, innermost first. */
function folderChain(element: Locator): Promise<string[]> {
  return element.evaluate((el) => {
    type Node = { closest(s: string): Node | null; parentElement: Node | null; querySelector(s: string): { textContent: string | null } | null };
    const names: string[] = [];
    for (let li = (el as unknown as Node).closest('li.folder'); li; li = li.parentElement?.closest('li.folder') ?? null) {
      names.push(li.querySelector(':scope > .name')?.textContent ?? '');
    }
    return names;
  });
}

/** Scrolls a (lazily loaded) image into view and says whether it decoded with a size. */
async function loadedImage(image: Locator): Promise<boolean> {
  await image.scrollIntoViewIfNeeded();
  return image.evaluate(async (el) => {
    const img = el as unknown as { complete: boolean; naturalWidth: number; decode(): Promise<void> };
    await img.decode().catch(() => undefined);
    return img.naturalWidth > 0;
  });
}

/** Lazy images below the fold would be blank in a full-page screenshot: all are loaded at once, in the page. */
async function loadAllImages(page: Page): Promise<void> {
  await page.locator('img').evaluateAll((images) =>
    Promise.all(
      images.map((el) => {
        const img = el as unknown as { loading: string; decode(): Promise<void> };
        img.loading = 'eager';
        return img.decode().catch(() => undefined);
      }),
    ),
  );
}

/** Sums `selector` over every page `pages/<prefix>-<n>.html` of the paged report. */
async function countOnPages(page: Page, prefix: string, selector: string): Promise<number> {
  const files = readdirSync(path.join(pagedDir, 'pages')).filter((f) => new RegExp(`^${prefix}-\\d+\\.html$`).test(f));
  let total = 0;
  for (const file of files) {
    await page.goto(pathToFileURL(path.join(pagedDir, 'pages', file)).href);
    const count = await page.locator(selector).count();
    if (count > PAGE_ROWS) throw new Error(`${file} has ${count} rows, more than a page`);
    total += count;
  }
  return total;
}

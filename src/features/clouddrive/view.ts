import { html, raw } from '../../results/html.js';
import { formatBytes, formatMinute } from '../../results/labels.js';
import { readDataset } from '../../results/partials/partials.js';
import { fileLink } from '../../results/views/files.js';
import {
  datasetWith,
  onPage,
  plural,
  rowsOnPage,
  textOf,
  type FeatureView,
  type Listing,
  type PageContext,
  type PagedRow,
  type Row,
  type RowRange,
  type ViewContext,
} from '../../results/views/listing.js';

/**
 * The drive as a folder tree: nested lists of the subject's folders, each file linked to its
 * copy in the archive, with its size and who it is shared with.
 *
 * Folders are few and kept in memory (names and parents); files are many and paged. A first
 * reading counts the files of each folder, which places every file in the listing (depth first, a
 * folder's subfolders before its own files); a page then shows the files that fall on it inside
 * the folders that lead to them, and reads the sharing permissions once for what it shows.
 */

interface Folder {
  id: string;
  name: string;
  row?: Row;
  children: Folder[];
  files: number;
  /** Listing positions: first file below it, first of its own files, one past its last. */
  from: number;
  filesFrom: number;
  to: number;
}

interface Plan {
  roots: Folder[];
  folderOfFile(row: Row): Folder;
}

export const driveTree: FeatureView = (ctx) => {
  const folders = datasetWith(ctx, 'folders', ['id', 'parent_id', 'name']);
  const files = datasetWith(ctx, 'files', ['id', 'folder_id', 'name']);
  if (!folders || !files) return undefined;
  const sharing = datasetWith(ctx, 'permissions', ['file_id', 'folder_id', 'account_id', 'role']) !== undefined;
  return { shows: ['folders', 'files'], listing: new Tree(ctx, folders.rows, files.rows, sharing) };
};

class Tree implements Listing {
  readonly name = 'files';
  readonly title = 'Folders and files';
  readonly countWords: string;
  private plan?: Promise<Plan>;

  constructor(
    private readonly ctx: ViewContext,
    private readonly folders: number,
    readonly rows: number,
    private readonly sharing: boolean,
  ) {
    this.countWords = `${plural(rows, 'file')} in ${plural(folders, 'folder')}`;
  }

  async *render(page: PageContext): AsyncGenerator<string> {
    if (this.rows === 0 && this.folders === 0) {
      yield '<p>None.</p>\n';
      return;
    }
    this.plan ??= planTree(this.ctx);
    const plan = await this.plan;
    const files = await filesOnPage(this.ctx, plan, page.range);
    const shown = plan.roots.flatMap((root) => foldersOnPage(root, page.range));
    const shares = this.sharing ? await sharesOf(this.ctx, shown, files) : new Map<string, string[]>();
    const tree = new TreeHtml(this.ctx, page, files, shares);
    yield '<ul class="tree">\n';
    for (const root of plan.roots) yield* tree.folder(root);
    yield '</ul>\n';
  }
}

const MY_DRIVE = 'My drive';
const OTHERS = 'In folders of other people';

/** The folder tree, and how many files each folder holds. */
async function planTree(ctx: ViewContext): Promise<Plan> {
  const byId = new Map<string, Folder>();
  for await (const { row } of readDataset(ctx.results, ctx.section.spools, 'folders')) {
    const id = String(row.id);
    if (!byId.has(id)) byId.set(id, folder(id, textOf(row, 'name') ?? 'Untitled folder', row));
  }
  const counts = new Map<string | null, number>();
  for await (const { row } of readDataset(ctx.results, ctx.section.spools, 'files')) {
    const key = textOf(row, 'folder_id') ?? null;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const mine = folder('', MY_DRIVE);
  const others = folder('', OTHERS);
  for (const node of byId.values()) {
    const parentId = parentOf(node);
    (parentId === undefined ? mine : (byId.get(parentId) ?? others)).children.push(node);
  }
  attachCycles(mine, others, byId);
  const folderOfFile = (row: Row): Folder => {
    const id = textOf(row, 'folder_id');
    return id === undefined ? mine : (byId.get(id) ?? others);
  };
  for (const [id, count] of counts) folderOfFile({ folder_id: id }).files += count;
  const roots = others.children.length > 0 || others.files > 0 ? [mine, others] : [mine];
  let at = 0;
  for (const root of roots) at = place(root, at);
  return { roots, folderOfFile };
}

function folder(id: string, name: string, row?: Row): Folder {
  return { id, name, ...(row ? { row } : {}), children: [], files: 0, from: 0, filesFrom: 0, to: 0 };
}

function parentOf(node: Folder): string | undefined {
  return node.row && textOf(node.row, 'parent_id');
}

/** Folders whose parents loop (bad data) reach no root: each loop is cut and hung under My drive. */
function attachCycles(mine: Folder, others: Folder, byId: Map<string, Folder>): void {
  const reached = new Set<Folder>();
  const reach = (node: Folder): void => {
    reached.add(node);
    for (const child of node.children) if (!reached.has(child)) reach(child);
  };
  reach(mine);
  reach(others);
  for (const node of byId.values()) {
    if (reached.has(node)) continue;
    const parent = byId.get(parentOf(node) ?? '');
    if (parent) parent.children = parent.children.filter((c) => c !== node);
    mine.children.push(node);
    reach(node);
  }
}

/** Depth first: subfolders, then the folder's own files. */
function place(node: Folder, from: number): number {
  node.from = from;
  let at = from;
  for (const child of node.children) at = place(child, at);
  node.filesFrom = at;
  node.to = at + node.files;
  return node.to;
}

function foldersOnPage(node: Folder, range: RowRange): Folder[] {
  if (!onPage(range, node.from, node.to)) return [];
  return [node, ...node.children.flatMap((child) => foldersOnPage(child, range))];
}

/** The page's files by listing position. */
async function filesOnPage(ctx: ViewContext, plan: Plan, range: RowRange): Promise<(PagedRow | undefined)[]> {
  const slots = new Array<PagedRow | undefined>(range.end - range.start);
  const seen = new Map<Folder, number>();
  for await (const file of rowsOnPage(ctx, 'files', { start: 0, end: Number.MAX_SAFE_INTEGER, last: true })) {
    const node = plan.folderOfFile(file.row);
    const nth = seen.get(node) ?? 0;
    seen.set(node, nth + 1);
    const at = node.filesFrom + nth;
    if (at >= range.start && at < range.end) slots[at - range.start] = file;
  }
  return slots;
}

/** Who the shown folders and files are shared with, keyed `folder:<id>` and `file:<id>`. */
async function sharesOf(ctx: ViewContext, folders: Folder[], files: (PagedRow | undefined)[]): Promise<Map<string, string[]>> {
  const shares = new Map<string, string[]>();
  for (const node of folders) if (node.row) shares.set(`folder:${node.id}`, []);
  for (const file of files) if (file) shares.set(`file:${String(file.row.id)}`, []);
  for await (const { row } of readDataset(ctx.results, ctx.section.spools, 'permissions')) {
    const key = textOf(row, 'file_id') !== undefined ? `file:${String(row.file_id)}` : `folder:${String(row.folder_id)}`;
    const account = textOf(row, 'account_id');
    const who = account === ctx.subject ? 'you' : (account ?? 'someone');
    shares.get(key)?.push(`${who} (${textOf(row, 'role') ?? 'access'})`);
  }
  return shares;
}

class TreeHtml {
  constructor(readonly _ctx: ViewContext,
    private readonly page: PageContext,
    private readonly files: (PagedRow | undefined)[],
    private readonly shares: Map<string, string[]>,
  ) {}

  *folder(node: Folder): Generator<string> {
    const { range } = this.page;
    if (!onPage(range, node.from, node.to)) return;
    const continued = node.from < range.start ? html` <span class="meta">(continued)</span>` : '';
    yield html`<li class="folder"><span class="name">${node.name}</span>${raw(continued)}${raw(this.shared(`folder:${node.id}`))}\n`;
    if (node.children.length === 0 && node.files === 0) {
      yield '</li>\n';
      return;
    }
    yield '<ul>\n';
    for (const child of node.children) yield* this.folder(child);
    const end = Math.min(node.to, range.end);
    for (let at = Math.max(node.filesFrom, range.start); at < end; at += 1) {
      const file = this.files[at - range.start];
      if (file) yield this.file(file);
    }
    yield '</ul></li>\n';
  }

  private file({ row, file }: PagedRow): string {
    const name = file ? fileLink(file, this.page.root) : html`${textOf(row, 'name') ?? 'Untitled file'} <span class="meta">(no file)</span>`;
    const size = Number(row.size ?? file?.ref.size);
    const updated = textOf(row, 'updated_at') ?? textOf(row, 'created_at');
    const facts = [Number.isFinite(size) ? formatBytes(size) : undefined, updated ? `updated ${formatMinute(updated)}` : undefined];
    const meta = facts.filter((f) => f !== undefined).join(' · ');
    return html`<li class="file"><span class="name">${raw(name)}</span> <span class="meta">${meta}</span>${raw(this.shared(`file:${String(row.id)}`))}</li>\n`;
  }

  private shared(key: string): string {
    const who = this.shares.get(key) ?? [];
    return who.length > 0 ? html` <span class="shared">· shared with ${who.join(', ')}</span>` : '';
  }
}

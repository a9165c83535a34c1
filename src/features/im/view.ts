import { FileNumbering } from '../../results/file-names.js';
import { html, raw } from '../../results/html.js';
import { formatMinute } from '../../results/labels.js';
import { readDataset } from '../../results/partials/partials.js';
import { archivedFile, filePreview } from '../../results/views/files.js';
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
 * Instant messaging as threads: each conversation with its messages in time order, attachments
 * where they were sent (images inline, voice with a player, files as links).
 *
 * Messages come from the adapter ordered by time, not by conversation. A first reading counts the
 * messages of each conversation, which places every message in the listing (conversation by
 * conversation); each page then reads the messages once and keeps only its own, and reads the
 * attachments once for those messages. Only per-conversation facts and one page stay in memory.
 */

interface Conversation {
  id: string;
  row?: Row;
  messages: number;
  /** Position of its first message in the listing. */
  from: number;
}

interface Plan {
  conversations: Conversation[];
  byId: Map<string, Conversation>;
}

interface Message {
  row: Row;
  attachments: PagedRow[];
}

export const imThreads: FeatureView = (ctx) => {
  const conversations = datasetWith(ctx, 'conversations', ['id']);
  const messages = datasetWith(ctx, 'messages', ['id', 'conversation_id', 'sent_at']);
  if (!conversations || !messages) return undefined;
  const attachments = datasetWith(ctx, 'attachments', ['message_id'])?.rows;
  const listing = new Threads(ctx, conversations.rows, messages.rows, attachments);
  return { listing, shows: ['conversations', 'messages', ...(attachments === undefined ? [] : ['attachments'])] };
};

class Threads implements Listing {
  readonly name = 'messages';
  readonly title = 'Conversations and messages';
  readonly countWords: string;
  private plan?: Promise<Plan>;
  /** Which attachments a page has shown, by position: the last page lists those no message took. */
  private readonly placed: Uint8Array;
  private placedCount = 0;

  constructor(
    private readonly ctx: ViewContext,
    conversations: number,
    readonly rows: number,
    private readonly attachments: number | undefined,
  ) {
    const counts = [plural(rows, 'message'), plural(conversations, 'conversation')];
    this.countWords = `${counts.join(' in ')}${attachments ? `, ${plural(attachments, 'attachment')}` : ''}`;
    this.placed = new Uint8Array(Math.ceil((attachments ?? 0) / 8));
  }

  async *render(page: PageContext): AsyncGenerator<string> {
    this.plan ??= planThreads(this.ctx);
    const plan = await this.plan;
    if (plan.conversations.length === 0 && !this.attachments) {
      yield '<p>None.</p>\n';
      return;
    }
    yield '<p class="meta">Each conversation with its messages, oldest first. Times are in UTC.</p>\n';
    const messages = await this.messagesOnPage(plan, page.range);
    for (const conversation of plan.conversations) {
      if (onPage(page.range, conversation.from, conversation.from + conversation.messages)) {
        yield* thread(this.ctx, conversation, messages, page);
      }
    }
    if (page.range.last) yield* this.unplacedAttachments(page.root);
  }

  /** The page's messages, by position in the listing, with their attachments. */
  private async messagesOnPage(plan: Plan, range: RowRange): Promise<(Message | undefined)[]> {
    const slots = new Array<Message | undefined>(range.end - range.start);
    const seen = new Map<Conversation, number>();
    for await (const { row } of readDataset(this.ctx.results, this.ctx.section.spools, 'messages')) {
      const conversation = plan.byId.get(conversationOf(row));
      if (!conversation) continue;
      const nth = seen.get(conversation) ?? 0;
      seen.set(conversation, nth + 1);
      const at = conversation.from + nth;
      if (at >= range.start && at < range.end) slots[at - range.start] = { row, attachments: [] };
    }
    await this.attach(slots);
    return slots;
  }

  private async attach(slots: (Message | undefined)[]): Promise<void> {
    if (this.attachments === undefined) return;
    const byId = new Map(slots.flatMap((m) => (m ? [[String(m.row.id), m] as const] : [])));
    const numbering = new FileNumbering(this.ctx.section.id);
    let index = 0;
    for await (const record of readDataset(this.ctx.results, this.ctx.section.spools, 'attachments')) {
      const file = record.file && archivedFile(this.ctx.section, numbering, record.dataset, record.file);
      const message = byId.get(String(record.row.message_id));
      if (message) {
        message.attachments.push(file ? { row: record.row, file } : { row: record.row });
        this.mark(index);
      }
      index += 1;
    }
  }

  private mark(index: number): void {
    const bit = 1 << (index % 8);
    const byte = Math.floor(index / 8);
    const bits = this.placed[byte] ?? 0;
    if ((bits & bit) !== 0) return;
    this.placed[byte] = bits | bit;
    this.placedCount += 1;
  }

  private isPlaced(index: number): boolean {
    return ((this.placed[Math.floor(index / 8)] ?? 0) & (1 << (index % 8))) !== 0;
  }

  // Collected apart from the messages, an attachment can name a message the report does not hold;
  // it is the subject's all the same, so it is listed rather than left out.
  private async *unplacedAttachments(root: string): AsyncGenerator<string> {
    const total = this.attachments ?? 0;
    if (this.placedCount >= total) return;
    yield '<h5>Attachments of messages not shown above</h5>\n<ul>\n';
    let index = 0;
    for await (const attachment of rowsOnPage(this.ctx, 'attachments', { start: 0, end: total, last: true })) {
      if (!this.isPlaced(index)) yield `<li class="attachment">${attachmentHtml(attachment, root)}</li>\n`;
      index += 1;
    }
    yield '</ul>\n';
  }
}

/** The conversations in their order, each with its number of messages. */
async function planThreads(ctx: ViewContext): Promise<Plan> {
  const byId = new Map<string, Conversation>();
  const listed: Conversation[] = [];
  for await (const { row } of readDataset(ctx.results, ctx.section.spools, 'conversations')) {
    const conversation = entry(byId, String(row.id));
    if (conversation.row) continue;
    conversation.row = row;
    listed.push(conversation);
  }
  for await (const { row } of readDataset(ctx.results, ctx.section.spools, 'messages')) {
    entry(byId, conversationOf(row)).messages += 1;
  }
  // Conversations the messages name but the subject's conversations do not hold come last.
  const conversations = [...listed, ...[...byId.values()].filter((c) => !c.row)];
  let from = 0;
  for (const conversation of conversations) {
    conversation.from = from;
    from += conversation.messages;
  }
  return { conversations, byId };
}

function entry(byId: Map<string, Conversation>, id: string): Conversation {
  let conversation = byId.get(id);
  if (!conversation) {
    conversation = { id, messages: 0, from: 0 };
    byId.set(id, conversation);
  }
  return conversation;
}

function conversationOf(row: Row): string {
  return String(row.conversation_id);
}

async function* thread(
  ctx: ViewContext,
  conversation: Conversation,
  messages: (Message | undefined)[],
  { range, root }: PageContext,
): AsyncGenerator<string> {
  const continued = conversation.from < range.start ? ' · continued from the previous page' : '';
  yield html`<article class="thread">\n<header><h5>${conversationTitle(conversation)}</h5><div class="meta">${conversationFacts(conversation)}${continued}</div></header>\n`;
  if (conversation.messages === 0) {
    yield '<p class="meta empty">No messages.</p>\n</article>\n';
    return;
  }
  yield '<ol>\n';
  const end = Math.min(conversation.from + conversation.messages, range.end);
  for (let at = Math.max(conversation.from, range.start); at < end; at += 1) {
    const message = messages[at - range.start];
    if (message) yield messageHtml(ctx, message, root);
  }
  yield '</ol>\n</article>\n';
}

function conversationTitle({ id, row }: Conversation): string {
  if (!row) return `Conversation ${id}`;
  const title = textOf(row, 'title');
  if (row.kind === 'direct') return title ? `Direct conversation: ${title}` : 'Direct conversation';
  return title ?? 'Untitled conversation';
}

function conversationFacts({ row, messages }: Conversation): string {
  const facts: string[] = [];
  if (!row) facts.push('not among your conversations');
  else if (row.kind === 'group') facts.push('Group conversation');
  const created = row && textOf(row, 'created_at');
  if (created) facts.push(`since ${formatMinute(created)}`);
  facts.push(plural(messages, 'message'));
  return facts.join(' · ');
}

const KIND_WORDS: Record<string, string> = { image: 'image', file: 'file', voice: 'voice message' };

function messageHtml(ctx: ViewContext, { row, attachments }: Message, root: string): string {
  const senderId = textOf(row, 'sender_account_id');
  const mine = senderId !== undefined && senderId === ctx.subject;
  const sender = senderId === undefined ? 'Unknown sender' : mine ? `${senderId} (you)` : senderId;
  const sent = String(row.sent_at);
  const kind = KIND_WORDS[String(row.kind)];
  const body = textOf(row, 'body');
  return html`<li class="message${mine ? '' : ' others'}"><div class="meta"><span class="sender">${sender}</span> · <time datetime="${sent}">${formatMinute(sent)}</time>${kind ? ` · ${kind}` : ''}</div>${raw(
    body ? html`<p>${body}</p>` : '',
  )}${raw(attachments.map((a) => `<div class="attachment">${attachmentHtml(a, root)}</div>`).join(''))}</li>\n`;
}

function attachmentHtml({ row, file }: PagedRow, root: string): string {
  const duration = Number(row.duration_ms);
  const length = Number.isFinite(duration) && duration > 0 ? html` <span class="meta">· ${(duration / 1000).toFixed(1)} s</span>` : '';
  if (file) return filePreview(file, root) + length;
  return html`${textOf(row, 'file_name') ?? 'attachment'} <span class="meta">(no file)</span>`;
}

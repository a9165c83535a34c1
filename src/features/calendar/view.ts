import { html, raw } from '../../results/html.js';
import { readDataset } from '../../results/partials/partials.js';
import {
  datasetWith,
  plural,
  rowsOnPage,
  textOf,
  type FeatureView,
  type PagedRow,
  type Row,
  type ViewContext,
} from '../../results/views/listing.js';

/**
 * The calendar as an agenda: events by day in the adapter's order (start time), each with its
 * time, title, location and the subject's part in it (organizer, or attendee with their answer).
 * A page holds its events and the subject's answers to them, nothing more.
 */

export const calendarAgenda: FeatureView = (ctx) => {
  const events = datasetWith(ctx, 'events', ['starts_at', 'title']);
  if (!events) return undefined;
  const withAnswers = datasetWith(ctx, 'attendance', ['event_id', 'response']) !== undefined;
  return {
    shows: ['events'],
    listing: {
      name: 'events',
      title: events.description.title,
      countWords: plural(events.rows, 'event'),
      rows: events.rows,
      async *render({ range }) {
        if (events.rows === 0) {
          yield '<p>None.</p>\n';
          return;
        }
        const page: PagedRow[] = [];
        for await (const event of rowsOnPage(ctx, 'events', range)) page.push(event);
        const answers = withAnswers ? await answersTo(ctx, page) : new Map<string, string[]>();
        yield '<p class="meta">Times are in UTC.</p>\n';
        yield* agenda(ctx, page, answers);
      },
    },
  };
};

/** The subject's answers (accepted, declined ...) to the page's events, by event id. */
async function answersTo(ctx: ViewContext, events: PagedRow[]): Promise<Map<string, string[]>> {
  const answers = new Map(events.map(({ row }) => [String(row.id), [] as string[]]));
  for await (const { row } of readDataset(ctx.results, ctx.section.spools, 'attendance')) {
    const account = textOf(row, 'account_id');
    if (account !== undefined && account !== ctx.subject) continue;
    answers.get(String(row.event_id))?.push(textOf(row, 'response') ?? 'no answer');
  }
  return answers;
}

function* agenda(ctx: ViewContext, events: PagedRow[], answers: Map<string, string[]>): Generator<string> {
  let day: string | undefined;
  for (const { row } of events) {
    const starts = String(row.starts_at);
    if (dayOf(starts) !== day) {
      if (day !== undefined) yield '</ol>\n';
      day = dayOf(starts);
      yield html`<h5 class="day">${dayWords(starts)}</h5>\n<ol class="agenda">\n`;
    }
    yield eventHtml(ctx, row, answers.get(String(row.id)) ?? []);
  }
  if (day !== undefined) yield '</ol>\n';
}

function eventHtml(ctx: ViewContext, row: Row, answers: string[]): string {
  const starts = String(row.starts_at);
  const organizer = textOf(row, 'organizer_account_id');
  const facts = [textOf(row, 'location'), organizer && organizer !== ctx.subject ? `organized by ${organizer}` : undefined];
  const details = facts.filter((f) => f !== undefined).join(' · ');
  const content = textOf(row, 'content');
  const part = role(ctx, organizer, answers);
  return html`<li><time datetime="${starts}">${timeSpan(starts, textOf(row, 'ends_at'))}</time><div><span class="title">${textOf(row, 'title') ?? 'Untitled event'}</span> <span class="role${part.tone}">${part.words}</span>${raw(
    details ? html`<p class="meta">${details}</p>` : '',
  )}${raw(content ? html`<p>${content}</p>` : '')}</div></li>\n`;
}

/** The subject's part, and a tone for it: declined in red, not (yet) decided in amber. */
function role(ctx: ViewContext, organizer: string | undefined, answers: string[]): { words: string; tone: string } {
  if (organizer === ctx.subject) return { words: 'Organizer', tone: '' };
  if (answers.length === 0) return { words: 'Attendee', tone: '' };
  const tone = answers.includes('accepted') ? '' : answers.includes('declined') ? ' declined' : ' maybe';
  return { words: `Attendee: ${answers.join(', ')}`, tone };
}

/** `09:00–10:30`, or with the end's date when it ends on another day. */
function timeSpan(starts: string, ends: string | undefined): string {
  const from = clock(starts);
  if (ends === undefined) return from;
  return dayOf(ends) === dayOf(starts) ? `${from}–${clock(ends)}` : `${from}–${shortDay(ends)} ${clock(ends)}`;
}

function dayOf(value: string): string {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toISOString().slice(0, 10);
}

function clock(value: string): string {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toISOString().slice(11, 16);
}

function dayWords(value: string): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return date.toLocaleDateString('en-GB', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
}

function shortDay(value: string): string {
  return new Date(value).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });
}

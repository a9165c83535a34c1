import { html, raw } from '../../results/html.js';
import { formatMinute } from '../../results/labels.js';
import { filePreview } from '../../results/views/files.js';
import { datasetWith, plural, rowsOnPage, textOf, type FeatureView, type Row } from '../../results/views/listing.js';

/**
 * Clock-ins as the subject knows them from the app: when, in or out, how, where (latitude and
 * longitude to six decimals, about 0.1 m) and on which device, with the face image shown.
 */

const DIRECTION_WORDS: Record<string, string> = { in: 'Clock-in', out: 'Clock-out' };

export const clockInTable: FeatureView = (ctx) => {
  const records = datasetWith(ctx, 'records', ['clocked_at', 'direction']);
  if (!records) return undefined;
  return {
    shows: ['records'],
    listing: {
      name: 'records',
      title: records.description.title,
      countWords: plural(records.rows, 'record'),
      rows: records.rows,
      async *render({ range, root }) {
        if (records.rows === 0) {
          yield '<p>None.</p>\n';
          return;
        }
        yield '<div class="scroll"><table class="clock-in">\n<thead><tr><th>Time (UTC)</th><th>Direction</th><th>Method</th><th>Latitude, longitude</th><th>Device</th><th>Face image</th></tr></thead>\n<tbody>\n';
        for await (const { row, file } of rowsOnPage(ctx, 'records', range)) {
          const direction = textOf(row, 'direction') ?? '';
          yield html`<tr><td>${formatMinute(String(row.clocked_at))}</td><td>${DIRECTION_WORDS[direction] ?? direction}</td><td>${textOf(row, 'method') ?? ''}</td><td class="coords">${coordinates(row)}</td><td>${device(row)}</td><td>${raw(file ? filePreview(file, root) : '')}</td></tr>\n`;
        }
        yield '</tbody>\n</table></div>\n';
      },
    },
  };
};

function coordinates(row: Row): string {
  const latitude = degrees(row.latitude);
  const longitude = degrees(row.longitude);
  return latitude && longitude ? `${latitude}, ${longitude}` : '';
}

function degrees(value: Row[string] | undefined): string | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number.toFixed(6) : String(value);
}

function device(row: Row): string {
  return ['device_name', 'device_model', 'os'].flatMap((column) => textOf(row, column) ?? []).join(' · ');
}

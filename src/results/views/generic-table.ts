import { html, raw } from '../html.js';
import { rowsWords } from '../labels.js';
import { columnItemLabel, type DatasetSummary } from '../report-model.js';
import { fileCell } from './files.js';
import { rowsOnPage, type Listing, type Row, type ViewContext } from './listing.js';

/** Any dataset as a table: one column per described column (with the catalogue item it carries), one row per row. */
export function genericTable(ctx: ViewContext, dataset: DatasetSummary): Listing {
  const { description } = dataset;
  return {
    name: description.name,
    title: description.title,
    countWords: rowsWords(dataset.rows),
    rows: dataset.rows,
    async *render({ range, root }) {
      if (dataset.rows === 0) {
        yield '<p>None.</p>\n';
        return;
      }
      yield `<div class="scroll"><table>\n<thead><tr>${headers(ctx, dataset).join('')}</tr></thead>\n<tbody>\n`;
      for await (const { row, file } of rowsOnPage(ctx, description.name, range)) {
        const cells = description.columns.map((column) => html`<td>${formatValue(row[column])}</td>`);
        if (dataset.files > 0) cells.push(`<td>${file ? fileCell(file, root) : ''}</td>`);
        yield `<tr>${cells.join('')}</tr>\n`;
      }
      yield '</tbody>\n</table></div>\n';
    },
  };
}

function headers(ctx: ViewContext, dataset: DatasetSummary): string[] {
  const { description } = dataset;
  const cells = description.columns.map((column) => {
    const label = columnItemLabel(ctx.section, description, column);
    return html`<th>${column}${raw(label ? html`<small>${label}</small>` : '')}</th>`;
  });
  if (dataset.files > 0) cells.push('<th>File</th>');
  return cells;
}

function formatValue(value: Row[string] | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return String(value);
}

import type { FileRef } from '../../features/adapter.js';
import { relativeHref, type FileNumbering } from '../file-names.js';
import { html, raw } from '../html.js';
import { formatBytes } from '../labels.js';
import { isImage } from '../media.js';
import type { FeatureSection } from '../report-model.js';

/** A row's file as the report links it: its path in the archive, or missing when its bytes were gone. */
export interface ArchivedFile {
  path: string;
  ref: FileRef;
  missing: boolean;
}

export function archivedFile(section: FeatureSection, numbering: FileNumbering, dataset: string, ref: FileRef): ArchivedFile {
  const path = numbering.pathFor(dataset, ref.name);
  return { path, ref, missing: section.missingFiles.has(path) };
}

/** The file's href from a page `root` away from the archive's root ('' or '../'). */
function hrefOf(file: ArchivedFile, root: string): string {
  return root + relativeHref(file.path);
}

export function missingFile(file: ArchivedFile): string {
  return html`<span class="missing">${file.ref.name} — this file no longer exists and could not be included</span>`;
}

export function fileLink(file: ArchivedFile, root: string): string {
  return file.missing ? missingFile(file) : html`<a href="${hrefOf(file, root)}">${file.ref.name}</a>`;
}

/** Link plus the image itself, for tables. */
export function fileCell(file: ArchivedFile, root: string): string {
  if (file.missing || !isImage(file.ref.mediaType)) return fileLink(file, root);
  const href = hrefOf(file, root);
  return html`<a href="${href}">${file.ref.name}</a><img src="${href}" alt="${file.ref.name}" loading="lazy">`;
}

/** A file shown the way its kind is used: images inline, audio with a player, anything else as a link. */
export function filePreview(file: ArchivedFile, root: string): string {
  const caption = html`${raw(fileLink(file, root))} <span class="meta">${formatBytes(file.ref.size)}</span>`;
  if (file.missing) return caption;
  const href = hrefOf(file, root);
  if (isImage(file.ref.mediaType)) return html`<img src="${href}" alt="${file.ref.name}" loading="lazy">${raw(caption)}`;
  if (/^audio\//i.test(file.ref.mediaType)) return html`<audio controls preload="metadata" src="${href}"></audio>${raw(caption)}`;
  return caption;
}

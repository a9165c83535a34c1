/**
 * Names inside the archive. File names come from users (anything, including `../`, slashes,
 * control and bidi characters), so every path segment is reduced to a safe, portable name; the
 * `<n>-` prefix keeps two files with the same name apart.
 */

const MAX_NAME_BYTES = 150;
const MAX_EXTENSION_LENGTH = 16;

/** One safe path segment from any string; `fallback` when nothing usable is left. */
export function sanitizeFileName(name: string, fallback = 'file'): string {
  const cleaned = name
    .normalize('NFC')
    // Control characters, and bidi controls that can disguise an extension ("gpj.exe").
    // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is this line's job
    .replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '')
    // Path separators, and what Windows forbids in names.
    .replace(/[\\/:*?"<>|]/g, '_')
    .replace(/\.{2,}/g, '.')
    // No hidden files and no leading separators left over from `../`; Windows drops trailing dots and spaces.
    .replace(/^[\s._-]+/, '')
    .replace(/[\s.]+$/, '');
  const truncated = truncateKeepingExtension(cleaned, MAX_NAME_BYTES);
  return truncated === '' ? fallback : truncated;
}

/** Where a collected file goes: `files/<feature>/<dataset>/<n>-<name>`. */
function archiveFilePath(feature: string, dataset: string, n: number, name: string): string {
  return `files/${sanitizeFileName(feature, 'feature')}/${sanitizeFileName(dataset, 'dataset')}/${n}-${sanitizeFileName(name)}`;
}

/** A relative URL to an archive path, for links and images in index.html (still to be HTML-escaped). */
export function relativeHref(archivePath: string): string {
  return archivePath.split('/').map(encodeURIComponent).join('/');
}

/**
 * Numbers the files of one feature per dataset in collection order. Every pass over a partial
 * numbers the same way, so index.html, data.json and the export find the paths the files got.
 */
export class FileNumbering {
  private readonly counts = new Map<string, number>();

  constructor(private readonly feature: string) {}

  pathFor(dataset: string, fileName: string): string {
    const n = (this.counts.get(dataset) ?? 0) + 1;
    this.counts.set(dataset, n);
    return archiveFilePath(this.feature, dataset, n, fileName);
  }
}

// Filesystems limit names to 255 bytes; names are cut by code point so no character is split.
function truncateKeepingExtension(name: string, maxBytes: number): string {
  if (Buffer.byteLength(name) <= maxBytes) return name;
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 && name.length - dot <= MAX_EXTENSION_LENGTH ? name.slice(dot) : '';
  const budget = maxBytes - Buffer.byteLength(extension);
  let stem = '';
  for (const char of name.slice(0, name.length - extension.length)) {
    if (Buffer.byteLength(stem + char) > budget) break;
    stem += char;
  }
  return stem + extension;
}

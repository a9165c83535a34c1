/** Media type decisions for archive entries and reports. */

// Formats that are compressed already: deflating them again costs CPU and gains nothing.
const ALREADY_COMPRESSED =
  /^(image\/(?!svg\+xml|bmp|x-ms-bmp|tiff|x-icon)|audio\/|video\/|application\/(zip|gzip|x-gzip|x-7z-compressed|vnd\.rar|x-rar-compressed|x-bzip2|x-xz|zstd|epub\+zip|java-archive|vnd\.openxmlformats-|vnd\.oasis\.opendocument\.))/i;

export function isAlreadyCompressed(mediaType: string): boolean {
  return ALREADY_COMPRESSED.test(mediaType.trim());
}

/** Images are shown inline in index.html. */
export function isImage(mediaType: string): boolean {
  return /^image\//i.test(mediaType.trim());
}

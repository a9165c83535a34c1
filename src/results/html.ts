/** HTML escaping: every value in index.html comes from data, so nothing is written unescaped. */

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for element content and for quoted attribute values alike. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

/** Tagged template that escapes every interpolated value; nest with `raw()` for ready HTML. */
export function html(strings: TemplateStringsArray, ...values: (string | number | RawHtml)[]): string {
  let out = strings[0] ?? '';
  values.forEach((value, index) => {
    out += value instanceof RawHtml ? value.html : escapeHtml(String(value));
    out += strings[index + 1] ?? '';
  });
  return out;
}

class RawHtml {
  constructor(readonly html: string) {}
}

export function raw(markup: string): RawHtml {
  return new RawHtml(markup);
}

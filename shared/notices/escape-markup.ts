/** Escaping for the two markup outputs. Everything interpolated into HTML or XML goes through here. */

const HTML_ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ENTITIES[c] ?? c);
}

/**
 * Characters XML 1.0 does not allow at all (C0 controls other than tab, LF and CR, lone surrogates,
 * U+FFFE and U+FFFF): escaping cannot express them, so they become U+FFFD.
 */
const XML_INVALID =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function escapeXml(text: string): string {
  return text.replace(XML_INVALID, '\uFFFD').replace(/[&<>"']/g, (c) => {
    if (c === "'") return '&apos;';
    return HTML_ENTITIES[c] ?? c;
  });
}

/** Decodes the entities `escapeHtml` and `escapeXml` produce, plus numeric references. */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos|nbsp);/gi, (whole, ent: string) => {
    const e = ent.toLowerCase();
    if (e.startsWith('#x')) return safeFromCodePoint(parseInt(e.slice(2), 16), whole);
    if (e.startsWith('#')) return safeFromCodePoint(parseInt(e.slice(1), 10), whole);
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };
    return named[e] ?? whole;
  });
}

function safeFromCodePoint(cp: number, fallback: string): string {
  return Number.isInteger(cp) && cp >= 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : fallback;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * One line of plain text for a notice: controls (CR and LF included) and line separators become a
 * space, and a lone surrogate (not encodable in UTF-8) becomes U+FFFD.
 */
export function singleLine(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001F\u007F-\u009F\u2028\u2029]+/g, ' ')
      .replace(LONE_SURROGATE, '\uFFFD')
      .trim()
  );
}

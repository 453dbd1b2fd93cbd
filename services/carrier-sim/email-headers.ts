/**
 * Light header parsing for the SMTP hot path: only the header block is read (unfolded, first value
 * per name); full MIME parsing happens lazily, when a person or test asks to see a message.
 */

const HEADER_END = Buffer.from('\r\n\r\n');
const HEADER_END_LF = Buffer.from('\n\n');

/** The byte offset where the header block ends (the blank line), or the whole buffer if none. */
export function headerBlockLength(raw: Buffer): number {
  const crlf = raw.indexOf(HEADER_END);
  if (crlf >= 0) return crlf;
  const lf = raw.indexOf(HEADER_END_LF);
  return lf >= 0 ? lf : raw.length;
}

/** Lower-cased header name → first value, continuation lines unfolded. */
export function parseHeaderBlock(block: string): Map<string, string> {
  const headers = new Map<string, string>();
  let name = '';
  let value = '';
  const commit = () => {
    if (name && !headers.has(name)) headers.set(name, value.trim());
  };
  for (const line of block.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && name) {
      value += ' ' + line.trim();
      continue;
    }
    commit();
    const colon = line.indexOf(':');
    name = colon > 0 ? line.slice(0, colon).trim().toLowerCase() : '';
    value = colon > 0 ? line.slice(colon + 1) : '';
  }
  commit();
  return headers;
}

/** `<id@host>` → `id@host` (the form arrivals are keyed by). */
export function stripAngleBrackets(messageId: string): string {
  return messageId.trim().replace(/^<+|>+$/g, '');
}

/** Decodes RFC 2047 encoded words (`=?UTF-8?B?...?=`, `=?ISO-8859-1?Q?...?=`) for display. */
export function decodeEncodedWords(value: string): string {
  return value
    .replace(/(\?=)\s+(=\?)/g, '$1$2')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (whole, charset: string, enc: string, text: string) => {
      try {
        const bytes =
          enc.toUpperCase() === 'B'
            ? Buffer.from(text, 'base64')
            : Buffer.from(
                text
                  .replace(/_/g, ' ')
                  .replace(/=([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))),
                'latin1',
              );
        return new TextDecoder(charset.split('*')[0]).decode(bytes);
      } catch {
        return whole;
      }
    });
}

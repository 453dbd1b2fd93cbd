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

const MESSAGE_ID = /^message-id:[ \t]*(.*(?:\r?\n[ \t]+.*)*)/im;
const CAMPAIGN_ID = /^x-campaign-id:[ \t]*(\d+)[ \t]*\r?$/im;

/** What the SMTP hot path needs from a message: its Message-ID and X-Campaign-Id, nothing else. */
export function keyHeaders(raw: Buffer): { messageId: string | null; campaignId: number | null } {
  const block = raw.toString('latin1', 0, headerBlockLength(raw));
  const id = MESSAGE_ID.exec(block)?.[1]?.replace(/\s+/g, '');
  const campaign = CAMPAIGN_ID.exec(block)?.[1];
  return { messageId: id ? stripAngleBrackets(id) : null, campaignId: campaign ? Number(campaign) : null };
}

/** From, Subject and Date for listings, decoded; parsed on demand from the kept raw message. */
export function emailSummary(raw: Buffer): { from: string; subject: string; date: string } {
  const headers = parseHeaderBlock(raw.toString('utf8', 0, headerBlockLength(raw)));
  return {
    from: decodeEncodedWords(headers.get('from') ?? ''),
    subject: decodeEncodedWords(headers.get('subject') ?? ''),
    date: headers.get('date') ?? '',
  };
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

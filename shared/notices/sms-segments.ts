/**
 * SMS segment calculator (DOMAIN.md §3). GSM 03.38 default alphabet: 160 septets in one message, 153
 * per part when concatenated (the user data header takes 7). The extension table characters cost two
 * septets (escape + char). One character outside both tables switches the whole message to UCS-2:
 * 70 UTF-16 units in one message, 67 per part; characters outside the BMP take two units. A part
 * boundary never cuts an escape pair or a surrogate pair, so a split can leave a part one unit short.
 */

export interface SegmentInfo {
  encoding: 'GSM-7' | 'UCS-2';
  /** Septets (GSM-7) or UTF-16 code units (UCS-2) of the whole text. */
  units: number;
  segments: number;
  /** The text of each part, in order; their concatenation is the input. */
  parts: string[];
}

/** GSM 03.38 basic table. ESC (0x1B) is left out: it only introduces the extension table. */
const GSM_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
    '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);

/** GSM 03.38 extension table: each costs two septets. */
const GSM_EXTENSION = new Set('\f^{}\\[~]|€');

export const GSM_SINGLE_LIMIT = 160;
export const GSM_PART_LIMIT = 153;
export const UCS2_SINGLE_LIMIT = 70;
export const UCS2_PART_LIMIT = 67;

export function isGsm7(text: string): boolean {
  for (const ch of text) if (!GSM_BASIC.has(ch) && !GSM_EXTENSION.has(ch)) return false;
  return true;
}

/** Septets or UTF-16 units one character (code point) costs in the given encoding. */
function unitCost(ch: string, encoding: SegmentInfo['encoding']): number {
  if (encoding === 'GSM-7') return GSM_EXTENSION.has(ch) ? 2 : 1;
  return ch.length; // 2 for a surrogate pair, 1 otherwise (a lone surrogate included)
}

export function smsSegments(text: string): SegmentInfo {
  const encoding = isGsm7(text) ? 'GSM-7' : 'UCS-2';
  const chars = [...text]; // code points: a surrogate pair stays whole
  const costs = chars.map((ch) => unitCost(ch, encoding));
  const units = costs.reduce((a, b) => a + b, 0);
  const single = encoding === 'GSM-7' ? GSM_SINGLE_LIMIT : UCS2_SINGLE_LIMIT;
  if (units <= single) return { encoding, units, segments: 1, parts: [text] };

  const perPart = encoding === 'GSM-7' ? GSM_PART_LIMIT : UCS2_PART_LIMIT;
  const parts: string[] = [];
  let current = '';
  let used = 0;
  chars.forEach((ch, i) => {
    const cost = costs[i] ?? 1;
    if (used + cost > perPart) {
      parts.push(current);
      current = '';
      used = 0;
    }
    current += ch;
    used += cost;
  });
  parts.push(current);
  return { encoding, units, segments: parts.length, parts };
}

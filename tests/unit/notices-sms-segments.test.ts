import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { smsSegments } from '../../shared/notices';
import { fastCheckSeed } from './notices/test-kit';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const a = (n: number) => 'a'.repeat(n);
const EMOJI = '\u{1F600}'; // outside the BMP: a surrogate pair, 2 UCS-2 units
const UCS = 'ó'; // not in GSM 03.38: forces UCS-2 (1 unit)

describe('smsSegments at the boundaries (DOMAIN.md §3)', () => {
  it.each([
    ['GSM-7 160 chars → 1 segment', a(160), 'GSM-7', 160, 1],
    ['GSM-7 161 chars → 2 segments', a(161), 'GSM-7', 161, 2],
    ['GSM-7 306 chars → 2 segments', a(306), 'GSM-7', 306, 2],
    ['GSM-7 307 chars → 3 segments', a(307), 'GSM-7', 307, 3],
    ['GSM-7 459 chars → 3 segments', a(459), 'GSM-7', 459, 3],
    ['UCS-2 70 units → 1 segment', UCS + a(69), 'UCS-2', 70, 1],
    ['UCS-2 71 units → 2 segments', UCS + a(70), 'UCS-2', 71, 2],
    ['UCS-2 134 units → 2 segments', UCS + a(133), 'UCS-2', 134, 2],
    ['UCS-2 135 units → 3 segments', UCS + a(134), 'UCS-2', 135, 3],
    ['escape chars count two septets: 80 × € = 160 → 1 segment', '€'.repeat(80), 'GSM-7', 160, 1],
    ['escape chars count two septets: 158 + € = 160 → 1 segment', a(158) + '€', 'GSM-7', 160, 1],
    ['escape chars count two septets: 159 + € = 161 → 2 segments', a(159) + '€', 'GSM-7', 161, 2],
    ['form feed is an escape char', a(159) + '\f', 'GSM-7', 161, 2],
    ['an astral char takes two UCS-2 units: 68 + emoji = 70 → 1', a(68) + EMOJI, 'UCS-2', 70, 1],
    ['an astral char takes two UCS-2 units: 69 + emoji = 71 → 2', a(69) + EMOJI, 'UCS-2', 71, 2],
    ['empty text is one (empty) segment', '', 'GSM-7', 0, 1],
  ] as const)('%s', (_name, text, encoding, units, segments) => {
    const info = smsSegments(text);
    expect(info).toMatchObject({ encoding, units, segments });
    expect(info.parts.join('')).toBe(text);
    expect(info.parts).toHaveLength(segments);
  });

  it('counts every extension-table character as two septets', () => {
    for (const ch of ['€', '[', ']', '{', '}', '\\', '^', '~', '|', '\f']) {
      expect(smsSegments(ch)).toMatchObject({ encoding: 'GSM-7', units: 2 });
    }
  });

  it('keeps GSM-7 for the basic table, accents included, and switches to UCS-2 on one outsider', () => {
    expect(smsSegments('¿Qué pasó? ñÑüÜéÉ@£$¥§¡').encoding).toBe('UCS-2'); // ó is not GSM-7
    expect(smsSegments('¿Que paso? ñÑüÜéÉ@£$¥§¡àäöÅåÆæßØø').encoding).toBe('GSM-7');
    expect(smsSegments('curly \u201Cquotes\u201D').encoding).toBe('UCS-2');
  });

  it('moves an escape pair that would straddle the 153-septet boundary into the next part', () => {
    const info = smsSegments(a(152) + '€' + a(10)); // € would occupy septets 153 and 154
    expect(info.parts.map((p) => p.length)).toEqual([152, 11]);
    expect(info.parts[0]).toBe(a(152));
    expect(info.parts[1]?.startsWith('€')).toBe(true);
  });

  it('an escape pair exactly at a split can cost a third segment that naive counting misses', () => {
    const text = a(152) + '€' + a(152); // 306 septets, but the first part can hold only 152
    const info = smsSegments(text);
    expect(info.units).toBe(306);
    expect(info.segments).toBe(3);
    expect(info.parts).toEqual([a(152), '€' + a(151), 'a']); // 152, 153 and 1 septets
  });

  it('an escape pair that ends exactly at septet 153 stays in the first part', () => {
    const info = smsSegments(a(151) + '€' + a(10));
    expect(info.parts.map((p) => p.length)).toEqual([152, 10]);
    expect(info.parts[0]?.endsWith('€')).toBe(true);
  });

  it('moves a surrogate pair that would straddle the 67-unit boundary into the next part', () => {
    const info = smsSegments(a(66) + EMOJI + a(10)); // the pair would occupy units 67 and 68
    expect(info.encoding).toBe('UCS-2');
    expect(info.parts[0]).toBe(a(66));
    expect(info.parts[1]?.startsWith(EMOJI)).toBe(true);
    expect(info.segments).toBe(2);
  });

  it('a surrogate pair exactly at a split can cost a third segment', () => {
    const info = smsSegments(a(66) + EMOJI + a(66)); // 134 units, but part one holds only 66
    expect(info.units).toBe(134);
    expect(info.segments).toBe(3);
  });

  it('never cuts a pair, every part is within its limit and the parts rebuild the text (property)', () => {
    const alphabet = fc.constantFrom(
      'a',
      'Z',
      ' ',
      '\n',
      '€',
      '[',
      '~',
      '\f',
      'é',
      'ó',
      EMOJI,
      '\u{1D11E}',
      '\u201C',
    );
    const seed = fastCheckSeed('smsSegments parts');
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 500 }), (chars) => {
        const text = chars.join('');
        const info = smsSegments(text);
        expect(info.parts.join('')).toBe(text);
        expect(info.segments).toBe(info.parts.length);
        const gsm = info.encoding === 'GSM-7';
        const cost = (p: string) =>
          [...p].reduce((n, ch) => n + (gsm ? ('€[]{}\\^~|\f'.includes(ch) ? 2 : 1) : ch.length), 0);
        expect(info.parts.reduce((n, p) => n + cost(p), 0)).toBe(info.units);
        const limit = info.segments === 1 ? (gsm ? 160 : 70) : gsm ? 153 : 67;
        for (const part of info.parts) {
          expect(cost(part)).toBeLessThanOrEqual(limit);
          expect(part).not.toMatch(LONE_SURROGATE); // no part starts or ends inside a surrogate pair
        }
      }),
      { seed, numRuns: 300 },
    );
  });
});

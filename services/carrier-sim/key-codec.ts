import { hash32 } from './prng';

/**
 * Compact arrival keys. The pipeline's keys are `bd-<campaign>-<notification>` (SMS idempotency
 * keys) and `bd-<campaign>-<notification>@breach-drill.test` (Message-IDs without brackets); those
 * are kept as two 32-bit numbers instead of a string. Any other key is kept as its string.
 */

export const KEY_KIND = { string: 0, bd: 1, bdMessageId: 2 } as const;
export type KeyKind = (typeof KEY_KIND)[keyof typeof KEY_KIND];

export interface EncodedKey {
  kind: KeyKind;
  a: number;
  b: number;
  /** Only for KEY_KIND.string. */
  text: string;
}

const MESSAGE_ID_SUFFIX = '@breach-drill.test';
// Canonical decimals only (no leading zeros), so decoding gives back exactly the same string.
const BD_KEY = /^bd-(0|[1-9]\d{0,9})-(0|[1-9]\d{0,9})(@breach-drill\.test)?$/;
const MAX_U32 = 0xffffffff;

/**
 * Encodes into `out` (reused by the caller: the hot path allocates nothing) and returns it. The
 * result is only valid until the next call with the same `out`.
 */
export function encodeKey(key: string, out: EncodedKey = { kind: 0, a: 0, b: 0, text: '' }): EncodedKey {
  const m = key.startsWith('bd-') ? BD_KEY.exec(key) : null;
  if (m) {
    const a = Number(m[1]);
    const b = Number(m[2]);
    if (a <= MAX_U32 && b <= MAX_U32) {
      out.kind = m[3] ? KEY_KIND.bdMessageId : KEY_KIND.bd;
      out.a = a;
      out.b = b;
      out.text = '';
      return out;
    }
  }
  out.kind = KEY_KIND.string;
  out.a = 0;
  out.b = 0;
  out.text = key;
  return out;
}

export function decodeKey(kind: number, a: number, b: number, text: string | undefined): string {
  if (kind === KEY_KIND.bd) return `bd-${a}-${b}`;
  if (kind === KEY_KIND.bdMessageId) return `bd-${a}-${b}${MESSAGE_ID_SUFFIX}`;
  return text ?? '';
}

/** A 32-bit hash of an encoded key, salted by channel so SMS and email keys never collide. */
export function hashKey(
  channel: number,
  kind: number,
  a: number,
  b: number,
  text: string | undefined,
): number {
  if (kind === KEY_KIND.string) return (hash32(text ?? '') ^ Math.imul(channel + 1, 0x9e3779b1)) >>> 0;
  let h = Math.imul(a ^ 0x85ebca6b, 0xcc9e2d51) ^ Math.imul(b ^ 0xc2b2ae35, 0x1b873593);
  h ^= Math.imul(kind * 4 + channel + 1, 0x27d4eb2f);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

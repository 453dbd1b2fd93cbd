import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed webhooks (carrier-sim → api): header `X-Signature: t=<unix seconds>,v1=<hex>` where
 * v1 = HMAC-SHA256(secret, `${t}.${rawBody}`). The timestamp bounds replays to a window.
 */
export const SIGNATURE_HEADER = 'x-signature';

export function signBody(secret: string, rawBody: string, nowSec = Math.floor(Date.now() / 1000)): string {
  const mac = createHmac('sha256', secret).update(`${nowSec}.${rawBody}`).digest('hex');
  return `t=${nowSec},v1=${mac}`;
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

export function verifySignature(
  secret: string,
  rawBody: string | Buffer,
  header: string | undefined,
  toleranceSec: number,
  nowSec = Math.floor(Date.now() / 1000),
): SignatureCheck {
  if (!header) return { ok: false, reason: 'missing X-Signature header' };
  const parts = Object.fromEntries(
    header.split(',').map((p) => {
      const i = p.indexOf('=');
      return [p.slice(0, i).trim(), p.slice(i + 1).trim()];
    }),
  );
  const t = Number(parts.t);
  if (!Number.isInteger(t) || !parts.v1) return { ok: false, reason: 'malformed X-Signature header' };
  if (Math.abs(nowSec - t) > toleranceSec)
    return { ok: false, reason: 'signature timestamp outside the replay window' };
  const expected = createHmac('sha256', secret).update(`${t}.`).update(rawBody).digest();
  const given = Buffer.from(String(parts.v1), 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'signature does not match' };
  }
  return { ok: true };
}

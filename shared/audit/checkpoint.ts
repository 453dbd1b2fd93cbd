import { sign, verify, type KeyObject } from 'node:crypto';
import { canonicalJson } from './canonical-json';
import { keyIdOf, publicKeyFromPem, type AuditSigningKey } from './signing-key';

/** What a checkpoint asserts: the chain's row `seq` has hash `hash`, as of `time`. */
export interface CheckpointClaim {
  seq: number;
  hash: string;
  time: string;
}

export interface SignedCheckpoint extends CheckpointClaim {
  keyId: string;
  /** SPKI PEM of the key that signed; verifiers decide whether they trust it. */
  publicKey: string;
  /** Ed25519 over the canonical JSON of {seq, hash, time}, base64. */
  signature: string;
}

/** The signed bytes: canonical JSON of exactly {hash, seq, time}. */
export function checkpointMessage(c: CheckpointClaim): Buffer {
  return Buffer.from(
    canonicalJson({ seq: Number(c.seq), hash: c.hash, time: new Date(c.time).toISOString() }),
    'utf8',
  );
}

export function signCheckpoint(key: AuditSigningKey, claim: CheckpointClaim): SignedCheckpoint {
  const c = { seq: Number(claim.seq), hash: claim.hash, time: new Date(claim.time).toISOString() };
  return {
    ...c,
    keyId: key.keyId,
    publicKey: key.publicKeyPem,
    signature: sign(null, checkpointMessage(c), key.privateKey).toString('base64'),
  };
}

export type CheckpointCheck =
  { ok: true; keyId: string; trusted: boolean } | { ok: false; keyId: string; reason: string };

/**
 * Checks a checkpoint's signature with the key it names. `trusted` key ids (pinned by the caller)
 * decide whether a valid signature means anything: a forger can sign with a key of their own.
 */
export function checkCheckpoint(cp: SignedCheckpoint, trustedKeyIds: ReadonlySet<string>): CheckpointCheck {
  let pub: KeyObject;
  try {
    pub = publicKeyFromPem(cp.publicKey);
  } catch (err) {
    return { ok: false, keyId: cp.keyId, reason: `unreadable public key: ${(err as Error).message}` };
  }
  const keyId = keyIdOf(pub);
  if (keyId !== cp.keyId) return { ok: false, keyId: cp.keyId, reason: 'key id does not match its key' };
  let good = false;
  try {
    good = verify(null, checkpointMessage(cp), pub, Buffer.from(cp.signature, 'base64'));
  } catch {
    good = false;
  }
  if (!good) return { ok: false, keyId, reason: 'bad signature' };
  return { ok: true, keyId, trusted: trustedKeyIds.has(keyId) };
}

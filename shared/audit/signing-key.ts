import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomUUID,
  type KeyObject,
} from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** The Ed25519 key that signs audit checkpoints, with what verifiers need to recognise it. */
export interface AuditSigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** SPKI PEM, as published at GET /v1/audit/public-key and carried in export bundles. */
  publicKeyPem: string;
  keyId: string;
}

export const SIGNING_KEY_FILE = 'audit-signing-key.pem';

/** First 16 hex digits of SHA-256 over the SPKI DER: short enough to read aloud when pinning. */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16);
}

export function publicKeyFromPem(pem: string): KeyObject {
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('the audit public key is not an Ed25519 key');
  return key;
}

function fromPrivate(privateKey: KeyObject): AuditSigningKey {
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new Error(`AUDIT_SIGNING_KEY must be an Ed25519 key, not ${privateKey.asymmetricKeyType}`);
  }
  const publicKey = createPublicKey(privateKey);
  return {
    privateKey,
    publicKey,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    keyId: keyIdOf(publicKey),
  };
}

/** Parses AUDIT_SIGNING_KEY: a PKCS#8 PEM, or the base64 of its DER. */
export function parseSigningKey(text: string): AuditSigningKey {
  const trimmed = text.trim();
  const privateKey = trimmed.startsWith('-----BEGIN')
    ? createPrivateKey(trimmed.replace(/\\n/g, '\n'))
    : createPrivateKey({ key: Buffer.from(trimmed, 'base64'), format: 'der', type: 'pkcs8' });
  return fromPrivate(privateKey);
}

export function generateSigningKey(): AuditSigningKey {
  return fromPrivate(generateKeyPairSync('ed25519').privateKey);
}

/**
 * The configured key, or the one kept under `dataDir` (created on first use, mode 0600). Two
 * processes starting together agree: the file appears atomically (link), and the loser reads it.
 */
export async function loadSigningKey(opts: {
  configured?: string | undefined;
  dataDir: string;
}): Promise<AuditSigningKey> {
  if (opts.configured) return parseSigningKey(opts.configured);
  const file = path.resolve(opts.dataDir, SIGNING_KEY_FILE);
  try {
    return parseSigningKey(await readFile(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(path.dirname(file), { recursive: true });
  const fresh = generateSigningKey();
  // A name of its own per call: two callers in one process must not write the same temporary file.
  const tmp = `${file}.${process.pid}.${randomUUID()}.tmp`;
  await writeFile(tmp, fresh.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), {
    mode: 0o600,
  });
  try {
    await link(tmp, file);
    return fresh;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return parseSigningKey(await readFile(file, 'utf8'));
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

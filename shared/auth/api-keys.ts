import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../store/db';

export const KEY_ROLES = ['admin', 'operator', 'auditor', 'gateway'] as const;
export type KeyRole = (typeof KEY_ROLES)[number];
export const KEY_SCOPES = ['pii:read'] as const;

export interface ApiKeyRecord {
  id: string;
  name: string;
  role: KeyRole;
  scopes: string[];
  createdAt: string;
  revokedAt: string | null;
}

export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** A new key: `bd_` and 32 base64url characters (192 random bits). */
export function generateKey(): string {
  return `bd_${randomBytes(24).toString('base64url')}`;
}

function toRecord(r: {
  id: string;
  name: string;
  role: KeyRole;
  scopes: string[];
  created_at: Date;
  revoked_at: Date | null;
}): ApiKeyRecord {
  return {
    id: r.id,
    name: r.name,
    role: r.role,
    scopes: r.scopes,
    createdAt: new Date(r.created_at).toISOString(),
    revokedAt: r.revoked_at ? new Date(r.revoked_at).toISOString() : null,
  };
}

/**
 * Stores a key (hashed). `key` is generated unless given (bootstrap admin, tests). Re-storing the
 * same key is a no-op that returns the existing record.
 */
export async function createApiKey(
  db: Db,
  input: { name: string; role: KeyRole; scopes?: string[]; key?: string; createdBy?: string },
): Promise<{ record: ApiKeyRecord; key: string }> {
  const key = input.key ?? generateKey();
  const id = `k_${randomBytes(6).toString('hex')}`;
  const r = await db.query<{
    id: string;
    name: string;
    role: KeyRole;
    scopes: string[];
    created_at: Date;
    revoked_at: Date | null;
  }>(
    `INSERT INTO api_keys (id, name, role, scopes, key_hash, created_by) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (key_hash) DO UPDATE SET name = api_keys.name
     RETURNING id, name, role, scopes, created_at, revoked_at`,
    [id, input.name, input.role, input.scopes ?? [], hashKey(key), input.createdBy ?? null],
  );
  return { record: toRecord(r.rows[0]!), key };
}

export async function findActiveKey(db: Db, key: string): Promise<ApiKeyRecord | null> {
  const r = await db.query<{
    id: string;
    name: string;
    role: KeyRole;
    scopes: string[];
    created_at: Date;
    revoked_at: Date | null;
  }>(
    'SELECT id, name, role, scopes, created_at, revoked_at FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL',
    [hashKey(key)],
  );
  return r.rows[0] ? toRecord(r.rows[0]) : null;
}

export async function listApiKeys(db: Db): Promise<ApiKeyRecord[]> {
  const r = await db.query<{
    id: string;
    name: string;
    role: KeyRole;
    scopes: string[];
    created_at: Date;
    revoked_at: Date | null;
  }>('SELECT id, name, role, scopes, created_at, revoked_at FROM api_keys ORDER BY created_at');
  return r.rows.map(toRecord);
}

export async function revokeApiKey(db: Db, id: string): Promise<boolean> {
  const r = await db.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [
    id,
  ]);
  return r.rowCount > 0;
}

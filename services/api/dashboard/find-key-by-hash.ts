import type { ApiKeyRecord, KeyRole } from '../../../shared/auth/api-keys';
import type { Db } from '../../../shared/store/db';

/**
 * The active key with this SHA-256 hash (what a dashboard session holds), or null when unknown or
 * revoked. The same row shape as shared/auth/api-keys.ts findActiveKey, which takes the key itself.
 */
export async function findActiveKeyByHash(db: Db, keyHash: string): Promise<ApiKeyRecord | null> {
  const r = await db.query<{
    id: string;
    name: string;
    role: KeyRole;
    scopes: string[];
    created_at: Date;
    revoked_at: Date | null;
  }>(
    'SELECT id, name, role, scopes, created_at, revoked_at FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL',
    [keyHash],
  );
  const row = r.rows[0];
  if (!row) return null;
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    scopes: row.scopes,
    createdAt: new Date(row.created_at).toISOString(),
    revokedAt: null,
  };
}

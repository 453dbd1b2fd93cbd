import type { Config } from '../../../../shared/config';
import { loadSigningKey, type AuditSigningKey } from '../../../../shared/audit/signing-key';

const cache = new Map<string, Promise<AuditSigningKey>>();

/**
 * The api's audit signing key (AUDIT_SIGNING_KEY, or the one generated under DATA_DIR), loaded once
 * per process. Workers load the same key the same way, so api and workers agree when they share the
 * setting or the directory; when they do not, GET /v1/audit/verify names the foreign key ids.
 */
export function apiSigningKey(config: Config): Promise<AuditSigningKey> {
  const id = `${config.AUDIT_SIGNING_KEY ?? ''}\u0000${config.DATA_DIR}`;
  let p = cache.get(id);
  if (!p) {
    p = loadSigningKey({ configured: config.AUDIT_SIGNING_KEY, dataDir: config.DATA_DIR });
    p.catch(() => cache.delete(id));
    cache.set(id, p);
  }
  return p;
}

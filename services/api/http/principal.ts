import { createHash } from 'node:crypto';
import type { Request } from 'express';
import type { Role } from './define-route';

/** Who is calling: set by the auth middleware from the API key (or the webhook signature). */
export interface Principal {
  /** Stable id of the API key (never the key itself); `gateway:<carrier>` for signed webhooks. */
  id: string;
  name: string;
  role: Role;
  scopes: readonly string[];
}

/**
 * The actor recorded in audit events for this request (and compared by the two-person rule).
 * Without a principal (a route the auth guard let through, or auth not yet enforced), the caller is
 * still told apart by its bearer token: `key:` + the first 12 hex digits of SHA-256(token), stable
 * per token and never the token itself. No token at all: 'api'.
 */
export function actorOf(req: Request): string {
  const p = (req as Request & { principal?: Principal }).principal;
  if (p) return `key:${p.id}`;
  const bearer = /^Bearer\s+(\S+)$/.exec(req.get('authorization') ?? '');
  return bearer ? `key:${createHash('sha256').update(bearer[1]!).digest('hex').slice(0, 12)}` : 'api';
}

export function principalOf(req: Request): Principal | undefined {
  return (req as Request & { principal?: Principal }).principal;
}

/** True when the caller may see phone numbers and emails in clear (README "Security"). */
export function canReadPii(req: Request): boolean {
  const p = principalOf(req);
  return Boolean(p && (p.role === 'admin' || p.scopes.includes('pii:read')));
}

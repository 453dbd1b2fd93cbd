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

/** The actor recorded in audit events for this request. */
export function actorOf(req: Request): string {
  const p = (req as Request & { principal?: Principal }).principal;
  return p ? `key:${p.id}` : 'api';
}

export function principalOf(req: Request): Principal | undefined {
  return (req as Request & { principal?: Principal }).principal;
}

/** True when the caller may see phone numbers and emails in clear (README "Security"). */
export function canReadPii(req: Request): boolean {
  const p = principalOf(req);
  return Boolean(p && (p.role === 'admin' || p.scopes.includes('pii:read')));
}

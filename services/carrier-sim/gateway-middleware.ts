import express, { type RequestHandler, type Response } from 'express';
import type { z } from 'zod';
import { findCarrier, type Carrier } from '../../shared/carriers';
import { SimError, type SimErrorDetail } from './sim-errors';

/** Largest gateway body accepted: 100 messages of 1600 characters, JSON-escaped, with room to spare. */
export const GATEWAY_BODY_LIMIT = '2mb';

/** JSON whatever the Content-Type says, as lenient gateways do; parse errors become INVALID_JSON. */
export const jsonBody: RequestHandler = express.json({ limit: GATEWAY_BODY_LIMIT, type: () => true });

export const resolveCarrier: RequestHandler = (req, res, next) => {
  const id = String(req.params.carrier);
  const carrier = findCarrier(id);
  if (!carrier) throw new SimError('UNKNOWN_CARRIER', `no fictional carrier "${id}"`);
  res.locals.carrier = carrier;
  next();
};

export function carrierOf(res: Response): Carrier {
  return res.locals.carrier as Carrier;
}

/** `Authorization: Bearer <carrier.gatewayKey>`; runs after resolveCarrier. */
export const requireGatewayKey: RequestHandler = (req, res, next) => {
  const carrier = carrierOf(res);
  const header = req.get('authorization') ?? '';
  const m = /^Bearer\s+(.+)$/i.exec(header);
  if (!m || m[1]?.trim() !== carrier.gatewayKey) {
    res.set('WWW-Authenticate', `Bearer realm="${carrier.id}"`);
    throw new SimError('UNAUTHORIZED', `missing or wrong gateway key for ${carrier.id}`);
  }
  next();
};

export function issuesToDetails(issues: z.core.$ZodIssue[], prefix = ''): SimErrorDetail[] {
  return issues.map((i) => ({
    path: [prefix, ...i.path.map(String)].filter(Boolean).join('.'),
    code: i.code,
    message: i.message,
  }));
}

/** Parses with a zod schema or throws VALIDATION_FAILED with one detail per issue. */
export function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new SimError('VALIDATION_FAILED', `invalid ${what}`, issuesToDetails(parsed.error.issues));
  return parsed.data;
}

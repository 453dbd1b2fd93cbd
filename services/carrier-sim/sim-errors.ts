import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../../shared/logger';

/**
 * The carrier-sim's own error registry. It stands in for foreign gateways, so its codes are the wire
 * contract the delivery workers parse; bodies have the project's shape
 * `{ "error": { "code", "message", "details": [] } }`.
 */
export const SIM_ERRORS = {
  INVALID_JSON: { status: 400, description: 'The body is not valid JSON.' },
  VALIDATION_FAILED: { status: 400, description: 'The body, query or params failed validation.' },
  BATCH_TOO_LARGE: { status: 400, description: 'A batch holds more than 100 messages.' },
  UNAUTHORIZED: { status: 401, description: 'Missing or wrong `Authorization: Bearer <gateway key>`.' },
  UNKNOWN_CARRIER: { status: 404, description: 'No fictional carrier with this id.' },
  NOT_FOUND: { status: 404, description: 'No such resource.' },
  PAYLOAD_TOO_LARGE: { status: 413, description: 'The body exceeds the route limit.' },
  UNSUPPORTED_ENCODING: { status: 415, description: 'The body encoding or charset is not supported.' },
  RATE_LIMITED: { status: 429, description: "The carrier's submission limit is exhausted; see Retry-After." },
  INTERNAL: { status: 500, description: 'Injected (or real) internal gateway error; retry.' },
  BAD_GATEWAY: { status: 502, description: 'Injected upstream failure; retry.' },
  SERVICE_UNAVAILABLE: { status: 503, description: 'Injected outage or overload; retry.' },
  GATEWAY_TIMEOUT: { status: 504, description: 'Injected timeout that was not processed; retry.' },
} as const;

export type SimErrorCode = keyof typeof SIM_ERRORS;

export interface SimErrorDetail {
  path?: string;
  code?: string;
  message: string;
}

export class SimError extends Error {
  readonly code: SimErrorCode;
  readonly details: SimErrorDetail[];

  constructor(code: SimErrorCode, message: string, details: SimErrorDetail[] = []) {
    super(message);
    this.name = 'SimError';
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return SIM_ERRORS[this.code].status;
  }
}

/** The injected 5xx a fault profile can pick, by HTTP status. */
export const FAULT_STATUS_CODES: Record<500 | 502 | 503, SimErrorCode> = {
  500: 'INTERNAL',
  502: 'BAD_GATEWAY',
  503: 'SERVICE_UNAVAILABLE',
};

export function errorBody(code: string, message: string, details: SimErrorDetail[] = []) {
  return { error: { code, message, details } };
}

/** body-parser error types, mapped to the registry. */
const BODY_PARSER_ERRORS: Record<string, SimErrorCode> = {
  'entity.parse.failed': 'INVALID_JSON',
  'entity.too.large': 'PAYLOAD_TOO_LARGE',
  'encoding.unsupported': 'UNSUPPORTED_ENCODING',
  'charset.unsupported': 'UNSUPPORTED_ENCODING',
  'request.aborted': 'VALIDATION_FAILED',
};

function toSimError(err: unknown): SimError | null {
  if (err instanceof SimError) return err;
  const type = (err as { type?: unknown } | null)?.type;
  if (typeof type === 'string' && BODY_PARSER_ERRORS[type]) {
    return new SimError(BODY_PARSER_ERRORS[type], (err as Error).message);
  }
  return null;
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new SimError('NOT_FOUND', `no route ${req.method} ${req.path}`));
};

/** The one place errors become HTTP responses; it goes last. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    const known = toSimError(err);
    if (!known) logger.error({ err }, 'unexpected error in carrier-sim');
    const e = known ?? new SimError('INTERNAL', 'unexpected error; it has been logged');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(e.status).json(errorBody(e.code, e.message, e.details));
  };
}

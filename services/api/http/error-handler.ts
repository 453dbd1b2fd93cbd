import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ERROR_CODES, isAppError, type ErrorCode, type ErrorDetail } from '../../../shared/errors';
import type { Logger } from '../../../shared/logger';

function body(code: ErrorCode, message: string, details: ErrorDetail[] = []) {
  return { error: { code, message, details } };
}

const DEPENDENCY_ERRORS =
  /ECONNREFUSED|Connection is closed|Stream isn't writeable|enableOfflineQueue|ETIMEDOUT|connect ECONN|terminating connection|Connection terminated|timeout exceeded when trying to connect/i;

/** Classifies anything thrown below a route into the coded error registry. */
export function toHttpError(err: unknown): {
  status: number;
  code: ErrorCode;
  message: string;
  details: ErrorDetail[];
  headers?: Record<string, string>;
} {
  if (isAppError(err)) {
    return {
      status: err.status,
      code: err.code,
      message: err.message,
      details: err.details,
      headers: err.headers,
    };
  }
  const e = err as { type?: string; status?: number; message?: string; code?: string };
  if (e?.type === 'entity.parse.failed') {
    return {
      status: 400,
      code: 'INVALID_JSON',
      message: 'the request body is not valid JSON; check quoting and commas',
      details: [],
    };
  }
  if (e?.type === 'entity.too.large') {
    return {
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
      message: 'the request body is larger than this route accepts; split it',
      details: [],
    };
  }
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') {
    return {
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: e.message ?? 'unsupported encoding',
      details: [],
    };
  }
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    return {
      status: e.status,
      code: 'VALIDATION_FAILED',
      message: 'the request could not be read',
      details: [],
    };
  }
  if (DEPENDENCY_ERRORS.test(`${e?.message ?? ''} ${e?.code ?? ''}`)) {
    return {
      status: 503,
      code: 'DEPENDENCY_UNAVAILABLE',
      message: 'Redis or the database is unreachable; nothing was changed, retry shortly',
      details: [],
    };
  }
  return { status: 500, code: 'INTERNAL', message: ERROR_CODES.INTERNAL.description, details: [] };
}

/** The one place errors become HTTP (STYLE.md §7). It goes last. No stack or internal text leaves. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const h = toHttpError(err);
    if (h.status >= 500) {
      logger.error(
        { err: (err as Error)?.message, stack: (err as Error)?.stack, route: req.route?.path },
        'request failed',
      );
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (h.headers) res.set(h.headers);
    res.status(h.status).json(body(h.code, h.message, h.details));
  };
}

export const notFoundHandler: RequestHandler = (req, res) => {
  res.status(404).json(body('NOT_FOUND', `no route for ${req.method} ${req.path}; see /docs for the API`));
};

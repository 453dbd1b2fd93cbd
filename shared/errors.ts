/**
 * One error type with a coded registry (STYLE.md §7). The registry decides the HTTP status and whether
 * a worker should retry; the API error handler and the BullMQ adapter each read it in one place.
 */

export const ERROR_CODES = {
  VALIDATION_FAILED: {
    status: 400,
    retryable: false,
    description: 'The request body, query or params failed validation.',
  },
  INVALID_JSON: { status: 400, retryable: false, description: 'The request body is not valid JSON.' },
  UNSAFE_RECIPIENT: {
    status: 400,
    retryable: false,
    description: 'A recipient outside the reserved fictional ranges (DOMAIN.md §4).',
  },
  UNKNOWN_CARRIER: {
    status: 400,
    retryable: false,
    description: 'The carrier id is not in the fictional carrier registry.',
  },
  UNSAFE_CONTENT: { status: 422, retryable: false, description: 'A notice failed the exercise-safety lint.' },
  NOT_FOUND: { status: 404, retryable: false, description: 'No such resource.' },
  CONFLICT: {
    status: 409,
    retryable: false,
    description: 'The resource is not in a state that allows this action.',
  },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    retryable: false,
    description: 'The request body exceeds the route limit.',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    retryable: false,
    description: 'The Content-Type is not accepted by this route.',
  },
  RATE_LIMITED: {
    status: 429,
    retryable: true,
    description: 'Too many requests; retry after the given delay.',
  },
  UNAUTHORIZED: { status: 401, retryable: false, description: 'Missing or invalid credentials.' },
  FORBIDDEN: { status: 403, retryable: false, description: 'The credentials do not allow this action.' },
  BAD_SIGNATURE: {
    status: 401,
    retryable: false,
    description: 'A webhook signature is missing, wrong or outside the replay window.',
  },
  DEPENDENCY_UNAVAILABLE: {
    status: 503,
    retryable: true,
    description: 'Redis or the database is unreachable; retry shortly.',
  },
  INTERNAL: { status: 500, retryable: true, description: 'An unexpected error; it has been logged.' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface ErrorDetail {
  path?: string;
  line?: number;
  code?: string;
  message: string;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetail[];
  /** Extra response headers, e.g. Retry-After for RATE_LIMITED. */
  readonly headers: Record<string, string>;

  constructor(
    code: ErrorCode,
    message: string,
    details: ErrorDetail[] = [],
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
    this.headers = headers;
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  get retryable(): boolean {
    return ERROR_CODES[this.code].retryable;
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

/**
 * Domain errors. Routes map them to `{ error, message, details, requestId }` in one handler;
 * jobs map `ProviderError.retryable` to BullMQ retries.
 */
export type ErrorDetails = Record<string, unknown> | Array<Record<string, unknown>>;

export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details?: ErrorDetails;

  constructor(code: string, message: string, opts: { status?: number; cause?: unknown; details?: ErrorDetails } = {}) {
    super(message, { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = opts.status ?? 500;
    this.details = opts.details;
  }
}

export class NotFoundError extends AppError {
  constructor(what: string, details?: ErrorDetails) {
    super('not_found', `${what} not found`, { status: 404, details });
  }
}

/** One entry per bad field: `path` is dotted (`actions.0.message`). */
export type FieldIssue = { path: string; message: string };

export class ValidationError extends AppError {
  constructor(message: string, issues: FieldIssue[], code = 'validation_failed') {
    super(code, message, { status: 400, details: issues });
  }
  static field(path: string, message: string): ValidationError {
    return new ValidationError(`${path}: ${message}`, [{ path, message }]);
  }
}

export class ConflictError extends AppError {
  constructor(message: string, code = 'conflict', details?: ErrorDetails) {
    super(code, message, { status: 409, details });
  }
}

export class UnprocessableError extends AppError {
  constructor(message: string, code = 'unprocessable', details?: ErrorDetails) {
    super(code, message, { status: 422, details });
  }
}

/** A conditional write (If-Match) whose precondition no longer holds: someone changed the resource meanwhile. */
export class PreconditionFailedError extends AppError {
  constructor(message: string, code = 'precondition_failed', details?: ErrorDetails) {
    super(code, message, { status: 412, details });
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'missing or invalid credentials') {
    super('unauthorized', message, { status: 401 });
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'not allowed') {
    super('forbidden', message, { status: 403 });
  }
}

/**
 * A carrier or other provider refused or failed a request. `retryable` is the adapter's verdict
 * (network errors, 5xx and 429 are; validation errors such as an invalid number are not).
 * `rateLimited` marks the carrier's 429 so the queue slows down instead of failing.
 */
export class ProviderError extends AppError {
  readonly providerCode?: string;
  readonly providerStatus?: number;
  readonly retryable: boolean;
  readonly rateLimited: boolean;
  /**
   * The request may have reached the carrier and been acted on (timeout or connection lost after
   * it was sent, carrier 5xx): a retry must first ask the carrier whether it was, or it may send twice.
   */
  readonly maybeSent: boolean;

  constructor(message: string, opts: { providerCode?: string | number; providerStatus?: number; retryable: boolean; rateLimited?: boolean; maybeSent?: boolean; cause?: unknown }) {
    super('provider_error', message, { status: 502, cause: opts.cause });
    this.providerCode = opts.providerCode === undefined ? undefined : String(opts.providerCode);
    this.providerStatus = opts.providerStatus;
    this.retryable = opts.retryable;
    this.rateLimited = opts.rateLimited ?? false;
    this.maybeSent = opts.maybeSent ?? false;
  }
}

/** Turns a zod error into field issues with dotted paths. */
export const zodIssues = (err: { issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }> }): FieldIssue[] =>
  err.issues.map((i) => ({ path: i.path.map(String).join('.') || '(body)', message: i.message }));

export const fromZod = (err: { issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }> }, prefix?: string): ValidationError => {
  const issues = zodIssues(err).map((i) => (prefix ? { ...i, path: i.path === '(body)' ? prefix : `${prefix}.${i.path}` } : i));
  return new ValidationError(issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
};

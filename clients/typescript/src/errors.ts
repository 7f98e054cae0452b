/**
 * problem+json (RFC 9457) answers as typed errors. Mapped once, by status code, so a
 * caller can `catch (e) { if (e instanceof InvalidRequestError) e.errors[0].field }`.
 */

/** One entry of a problem's `errors` list: the field the server refused and why. */
export interface FieldError {
  field: string;
  message: string;
  value?: unknown;
}

/** The problem body the API sends with every error status. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string | null;
  instance?: string | null;
  errors?: FieldError[] | null;
  job_status?: string | null;
  [key: string]: unknown;
}

/** Any non-2xx answer from the API. */
export class SynthgenError extends Error {
  readonly status: number;
  readonly problem: Problem;
  readonly errors: FieldError[];
  constructor(problem: Problem) {
    super(problem.detail ? `${problem.title}: ${problem.detail}` : problem.title);
    this.name = new.target.name;
    this.status = problem.status;
    this.problem = problem;
    this.errors = problem.errors ?? [];
  }
  /** The problem type's last path segment, e.g. "invalid-spec". */
  get kind(): string {
    return this.problem.type.split("/").pop() ?? this.problem.type;
  }
}

/** 400/413/415/422: the request or job spec is invalid; `errors` names the fields. */
export class InvalidRequestError extends SynthgenError {}
/** 401: missing or unknown API key. */
export class AuthenticationError extends SynthgenError {}
/** 403: the key's role does not allow this (e.g. a read key submitting). */
export class ForbiddenError extends SynthgenError {}
/** 404: no such job for this tenant. */
export class NotFoundError extends SynthgenError {}
/** 409: e.g. cancelling a job that is already final (`problem.job_status`). */
export class ConflictError extends SynthgenError {}
/** 429 after the retries ran out. */
export class RateLimitedError extends SynthgenError {}
/** 503 after the retries ran out (the job store is unreachable). */
export class UnavailableError extends SynthgenError {}

const BY_STATUS: Record<number, new (p: Problem) => SynthgenError> = {
  400: InvalidRequestError, 413: InvalidRequestError, 415: InvalidRequestError, 422: InvalidRequestError,
  401: AuthenticationError, 403: ForbiddenError, 404: NotFoundError, 409: ConflictError, 429: RateLimitedError,
  503: UnavailableError,
};

/** The typed error for an error response (its body already read as text). */
export function errorFor(status: number, body: string, statusText = ""): SynthgenError {
  let problem: Problem;
  try {
    const parsed = JSON.parse(body);
    problem = parsed && typeof parsed === "object" && "title" in parsed
      ? { status, ...parsed }
      : { type: "about:blank", title: statusText || `HTTP ${status}`, status, detail: body };
  } catch {
    problem = { type: "about:blank", title: statusText || `HTTP ${status}`, status, detail: body || null };
  }
  const Cls = BY_STATUS[status] ?? SynthgenError;
  return new Cls(problem);
}

import * as z from "zod";

/**
 * Error codes shared by the server API, the local API and the CLI. The CLI maps them to
 * exit codes in one place (src/cli/exit.ts); HTTP statuses are fixed here too.
 */
export const ERROR_CODES = {
  bad_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  rate_limited: 429,
  /** A cap on how many of something one may hold (live sessions, live PINs); ending some frees room. */
  quota_exceeded: 429,
  delivery_failed: 502,
  unavailable: 503,
  timeout: 504,
  internal: 500,
} as const;
export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * `details.reason` of a `conflict` whose thing is there already (a technician, group or approved
 * external technician by that name): a clash with what exists, not a rule refusing the caller.
 */
export const ALREADY_EXISTS = "exists";
/**
 * `details.reason` of the `unauthenticated` error a daemon gives while a newer connection of the
 * same technician (another daemon with this login) has replaced its own (closed WS_CLOSE.replaced).
 */
export const SIGNED_IN_ELSEWHERE = "signed-in-elsewhere";
export const ErrorCodeSchema = z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]);

export const ErrorBody = z.object({
  error: z.object({
    code: ErrorCodeSchema,
    message: z.string(),
    /** Extra facts a script may use, e.g. which session holds the Lens slot. */
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** An error that knows how it crosses a wire. Throw it anywhere; edges turn it into ErrorBody. */
export class RescueError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = "RescueError";
    this.code = code;
    this.details = details;
  }
  get httpStatus(): number {
    return ERROR_CODES[this.code];
  }
  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) } };
  }
  static fromBody(body: ErrorBody): RescueError {
    return new RescueError(body.error.code, body.error.message, body.error.details);
  }
}

/** WebSocket close codes used by the server (4000-4999 is the application range). */
export const WS_CLOSE = {
  badMessage: 4400,
  unauthenticated: 4401,
  forbidden: 4403,
  invalidPin: 4404,
  tooLarge: 4413,
  rateLimited: 4429,
  sessionEnded: 4410,
  replaced: 4409,
} as const;

/**
 * The seconds a rateLimited close asks the client to wait before it tries again, from the close
 * reason's "retry in N s" (a refused resume says it; a flooding socket's close does not, and is final).
 */
export function retryAfterOfClose(code: number, reason: string): number | undefined {
  if (code !== WS_CLOSE.rateLimited) return undefined;
  const m = /retry in (\d+) s/.exec(reason);
  return m ? Number(m[1]) : undefined;
}

/** One validation problem in words, naming unknown fields as such; `where` stands for an empty path. */
export function describeIssue(issue: z.core.$ZodIssue, where: string): string {
  const at = issue.path.join(".") || where;
  if (issue.code !== "unrecognized_keys") return `${at}: ${issue.message}`;
  return `${at}: unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
}

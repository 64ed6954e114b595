import type { ErrorCode } from "../protocol/errors.js";
import { DaemonUnavailable, ExitWith, Interrupted, NotLoggedIn, UsageError } from "./errors.js";

export const EXIT = {
  ok: 0,
  error: 1,
  usage: 2,
  daemonUnavailable: 3,
  notLoggedIn: 4,
  forbidden: 5,
  notFound: 6,
  timeout: 8,
  interrupted: 130,
} as const;

/**
 * Wire error codes to exit codes. `unavailable` means the daemon is up but the server is not
 * (it is reconnecting): that is 1, keeping 3 for "the daemon itself cannot be reached".
 * `conflict` is a rule of the session model refusing the action (one Lens session, ten active):
 * "not permitted", 5, like a missing permission; so is `quota_exceeded` (too many live sessions).
 * A `conflict` with what already exists (`details.reason` ALREADY_EXISTS: adding a technician,
 * group or external technician that is there) refuses nobody's rights: 1, an error.
 */
const BY_CODE: Record<ErrorCode, number> = {
  bad_request: EXIT.usage,
  unauthenticated: EXIT.notLoggedIn,
  forbidden: EXIT.forbidden,
  conflict: EXIT.forbidden,
  not_found: EXIT.notFound,
  timeout: EXIT.timeout,
  payload_too_large: EXIT.usage,
  rate_limited: EXIT.error,
  quota_exceeded: EXIT.forbidden,
  delivery_failed: EXIT.error,
  unavailable: EXIT.error,
  internal: EXIT.error,
};

/** The one place an error becomes an exit code. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof ExitWith) return err.code;
  if (err instanceof UsageError) return EXIT.usage;
  if (err instanceof DaemonUnavailable) return EXIT.daemonUnavailable;
  if (err instanceof Interrupted) return EXIT.interrupted;
  if (err instanceof NotLoggedIn) return EXIT.notLoggedIn;
  if (err && typeof err === "object" && (err as { name?: string }).name === "RescueError") {
    const { code, details } = err as { code: ErrorCode; details?: Record<string, unknown> };
    // ALREADY_EXISTS of protocol/errors.ts, written out: importing it would load zod into every
    // invocation (`rescue --version` included); test/cli/exit.test.ts holds the two together.
    if (code === "conflict" && details?.reason === "exists") return EXIT.error;
    return BY_CODE[code] ?? EXIT.error;
  }
  return EXIT.error;
}

import { describe, expect, it } from "vitest";
import { ALREADY_EXISTS, ERROR_CODES, RescueError, type ErrorCode } from "../../src/protocol/index.js";
import { DaemonUnavailable, Interrupted, NotLoggedIn, UsageError } from "../../src/cli/errors.js";
import { exitCodeFor } from "../../src/cli/exit.js";

describe("exit codes", () => {
  it("maps every wire error code as DESIGN.md says", () => {
    const expected: Record<ErrorCode, number> = {
      bad_request: 2,
      unauthenticated: 4,
      forbidden: 5,
      conflict: 5,
      not_found: 6,
      timeout: 8,
      payload_too_large: 2,
      rate_limited: 1,
      quota_exceeded: 5,
      delivery_failed: 1,
      unavailable: 1,
      internal: 1,
    };
    expect(Object.keys(expected).sort()).toEqual(Object.keys(ERROR_CODES).sort());
    for (const [code, exit] of Object.entries(expected)) expect(exitCodeFor(new RescueError(code as ErrorCode, "x")), code).toBe(exit);
  });

  it("a conflict with what already exists is an error (1), not a refusal (5)", () => {
    expect(exitCodeFor(new RescueError("conflict", "technician a@b.test already exists", { reason: ALREADY_EXISTS }))).toBe(1);
    expect(exitCodeFor(new RescueError("conflict", "cannot chat in a session that is closed", { status: "closed" }))).toBe(5);
  });

  it("maps the CLI's own failures", () => {
    expect(exitCodeFor(new UsageError("x"))).toBe(2);
    expect(exitCodeFor(new DaemonUnavailable("x"))).toBe(3);
    expect(exitCodeFor(new NotLoggedIn())).toBe(4);
    expect(exitCodeFor(new Interrupted())).toBe(130);
    expect(exitCodeFor(new Error("boom"))).toBe(1);
  });
});

import { describe, expect, it } from "vitest";
import { RescueError, SESSION_STATUSES, TERMINAL_STATUSES } from "../../src/protocol/index.js";
import { isTerminal, nextStatus, type SessionAction } from "../../src/server/sessions/state.js";

const ACTIONS: SessionAction[] = ["accept-eula", "decline-eula", "time-out", "start", "hold", "resume", "collaborate", "end-collaboration", "end", "customer-left", "reissue-pin"];

describe("session state machine", () => {
  it("allows exactly the documented transitions", () => {
    const allowed: Record<string, string> = {};
    for (const s of SESSION_STATUSES)
      for (const a of ACTIONS) {
        try {
          allowed[`${s} ${a}`] = nextStatus(s, a);
        } catch (err) {
          expect(err).toBeInstanceOf(RescueError);
        }
      }
    expect(allowed).toEqual({
      "connecting accept-eula": "waiting",
      "connecting decline-eula": "declined",
      "connecting time-out": "timed-out",
      "connecting end": "closed",
      "connecting customer-left": "aborted",
      "waiting start": "active",
      "waiting end": "closed",
      "waiting customer-left": "aborted",
      "active hold": "on-hold",
      "active collaborate": "collaborating",
      "active end": "closed",
      "active customer-left": "aborted",
      "on-hold resume": "active",
      "on-hold end": "closed",
      "on-hold customer-left": "aborted",
      "collaborating end-collaboration": "active",
      "collaborating hold": "on-hold",
      "collaborating end": "closed",
      "collaborating customer-left": "aborted",
      "timed-out reissue-pin": "connecting",
    });
  });

  it("names the status and the action when refusing", () => {
    const err = (() => {
      try {
        nextStatus("closed", "start");
      } catch (e) {
        return e as RescueError;
      }
    })();
    expect(err?.code).toBe("conflict");
    expect(err?.message).toBe("cannot start a session that is closed");
  });

  it("agrees with the protocol on terminal statuses", () => {
    expect(SESSION_STATUSES.filter(isTerminal)).toEqual([...TERMINAL_STATUSES]);
  });
});

import { describe, expect, it } from "vitest";
import {
  CreateSessionRequest,
  CustomerToServer,
  DaemonEvent,
  ERROR_CODES,
  ErrorBody,
  Pin,
  RescueError,
  Signal,
  TechnicianToServer,
} from "../../src/protocol/index.js";

describe("protocol schemas", () => {
  it("accepts 6-digit PINs only, zero-padded ones included", () => {
    expect(Pin.safeParse("000123").success).toBe(true);
    for (const bad of ["12345", "1234567", "12a456", " 123456", ""]) {
      expect(Pin.safeParse(bad).success).toBe(false);
    }
  });

  it("requires a recipient for sms and email sessions and fills defaults", () => {
    expect(CreateSessionRequest.safeParse({ method: "sms" }).success).toBe(false);
    expect(CreateSessionRequest.safeParse({ method: "email" }).success).toBe(false);
    const pin = CreateSessionRequest.parse({ method: "pin", name: "  Ann  " });
    expect(pin).toEqual({ type: "lens", mode: "view", method: "pin", name: "Ann", language: "en" });
    expect(CreateSessionRequest.safeParse({ method: "fax" }).success).toBe(false);
  });

  it("rejects unknown message types and oversize SDP on the wires", () => {
    expect(CustomerToServer.safeParse({ type: "join", pin: "123456" }).success).toBe(true);
    expect(CustomerToServer.safeParse({ type: "takeover" }).success).toBe(false);
    expect(Signal.safeParse({ kind: "offer", sdp: "x".repeat(60_001) }).success).toBe(false);
    expect(TechnicianToServer.safeParse({ type: "chat", sessionId: "s1", text: "   " }).success).toBe(false);
  });

  it("round-trips errors through their wire body", () => {
    const err = new RescueError("forbidden", "only one active Lens session", { sessionId: "abc" });
    const body = ErrorBody.parse(JSON.parse(JSON.stringify(err.toBody())));
    const back = RescueError.fromBody(body);
    expect(back.code).toBe("forbidden");
    expect(back.details).toEqual({ sessionId: "abc" });
    expect(back.httpStatus).toBe(ERROR_CODES.forbidden);
  });

  it("types daemon events by their type field", () => {
    const ev = DaemonEvent.parse({ id: 3, at: new Date().toISOString(), type: "backend", state: "reconnecting" });
    expect(ev.type).toBe("backend");
    expect(DaemonEvent.safeParse({ id: -1, at: new Date().toISOString(), type: "backend", state: "connected" }).success).toBe(false);
  });
});

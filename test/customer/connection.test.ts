import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CustomerConnection } from "../../src/customer/connection.js";
import { WS_CLOSE } from "../../src/protocol/index.js";
import { TcpProxy } from "../helpers/proxy.js";
import { openTechnicianWs, startTestServer, type TestServer } from "../helpers/server.js";

describe("CustomerConnection against a real server", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  async function newSession(token: string) {
    const res = await server.api("POST", "/api/v1/sessions", { token, body: { type: "lens", method: "pin", name: "Ann" } });
    expect(res.status).toBe(201);
    return res.body as { id: string; pin: string };
  }

  it("joins, grants devices, accepts the EULA and reaches waiting; signals reach the technician", async () => {
    const tech = await server.technician(["lens", "private", "pin", "chat"]);
    const session = await newSession(tech.token);
    const techWs = await openTechnicianWs(server, tech.token);
    const customer = await CustomerConnection.join(server.url, session.pin, "Ann");
    try {
      expect(customer.sessionId).toBe(session.id);
      expect(customer.iceServers).toEqual([]);
      customer.grantDevices();
      customer.answerEula(true);
      expect(await customer.waitForStatus(["waiting"], 5000)).toBe("waiting");

      customer.sendSignal({ kind: "offer", sdp: "v=0 test" });
      const relayed = await techWs.next("signal");
      expect(relayed).toMatchObject({ sessionId: session.id, signal: { kind: "offer", sdp: "v=0 test" } });

      const answer = new Promise((resolve) => customer.once("signal", resolve));
      techWs.send({ type: "signal", sessionId: session.id, signal: { kind: "answer", sdp: "v=0 back" } });
      expect(await answer).toEqual({ kind: "answer", sdp: "v=0 back" });
    } finally {
      customer.leave();
      await techWs.close();
    }
  });

  it("rejects a wrong PIN with the server's reason", async () => {
    await expect(CustomerConnection.join(server.url, "000000")).rejects.toMatchObject({ code: "not_found" });
  });

  it("sees declined after refusing the EULA", async () => {
    const tech = await server.technician(["lens", "private", "pin"]);
    const session = await newSession(tech.token);
    const customer = await CustomerConnection.join(server.url, session.pin);
    customer.grantDevices();
    customer.answerEula(false);
    expect(await customer.waitForStatus(["declined"], 5000)).toBe("declined");
    customer.leave();
  });

  it("back after the grace period: told the session ended and why, not just that the connection closed", async () => {
    const short = await startTestServer({ customerGraceMs: 1500, heartbeatMs: 500 });
    const proxy = new TcpProxy(Number(new URL(short.url).port));
    await proxy.open();
    try {
      const tech = await short.technician(["lens", "private", "pin"]);
      const res = await short.api("POST", "/api/v1/sessions", { token: tech.token, body: { type: "lens", method: "pin", name: "Ann" } });
      const session = res.body as { id: string; pin: string };
      const customer = await CustomerConnection.join(proxy.url, session.pin, "Ann");
      const closed = new Promise<{ code: number; reason: string }>((resolve) => customer.once("closed", resolve));
      customer.grantDevices();
      customer.answerEula(true);
      expect(await customer.waitForStatus(["waiting"], 5000)).toBe("waiting");
      // The customer's link goes silent: the server drops them and aborts the session after the grace period.
      proxy.freeze();
      await expect
        .poll(async () => (await short.api("GET", `/api/v1/sessions/${session.id}`, { token: tech.token })).body.status, { timeout: 20_000 })
        .toBe("aborted");
      // The link comes back: the customer's socket closes and it tries to resume.
      await proxy.cut();
      await proxy.open();
      expect(await closed).toEqual({ code: WS_CLOSE.sessionEnded, reason: "the session has ended: the customer did not come back within 2 s" });
    } finally {
      await proxy.cut();
      await short.close();
    }
  }, 60_000);
});

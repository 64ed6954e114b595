import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CustomerConnection } from "../../src/customer/connection.js";
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
});

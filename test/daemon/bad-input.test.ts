import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RTCPeerConnection } from "werift";
import { homePaths } from "../../src/profile/home.js";
import { cliLogin, dropHome, makeHome, rescue } from "../helpers/cli.js";
import { localRequest } from "../helpers/localapi.js";
import { customerOffer } from "../helpers/offer.js";
import { customerReady, startTestServer, type TestServer, type WsProbe } from "../helpers/server.js";

/** The first answer the customer gets within `ms`, or null. */
async function answerWithin(customer: WsProbe, ms: number): Promise<string | null> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const m = await customer.next("signal", Math.max(1, deadline - Date.now())).catch(() => null);
    if (m?.signal.kind === "answer") return m.signal.sdp;
  }
  return null;
}

/** Hostile input to a real daemon: a malformed path on its unix socket, offers that are not media. */
describe("rescued refuses bad input cleanly", () => {
  let server: TestServer;
  let home: string;
  const pcs: RTCPeerConnection[] = [];
  let customer: WsProbe | undefined;

  beforeAll(async () => {
    server = await startTestServer();
    const tech = await server.technician(["lens", "private", "pin"]);
    home = makeHome();
    await cliLogin(home, server.url, tech.email, tech.password);
  });
  afterAll(async () => {
    await customer?.close();
    await Promise.all(pcs.map((pc) => pc.close().catch(() => undefined)));
    await dropHome(home);
    await server.close();
  });

  it("answers a malformed escape in the path and an unknown field with 400 and logs no stack", async () => {
    expect((await rescue(home, ["daemon", "start", "--json"])).code).toBe(0);
    for (const path of ["/api/v1/sessions/%ZZ", "/api/v1/sessions/%E0%A4%A/log", "/api/v1/admin/groups/%"]) {
      const res = await localRequest(home, path.startsWith("/api/v1/admin") ? "PATCH" : "GET", path, path.startsWith("/api/v1/admin") ? { body: {} } : {});
      expect(res.status, path).toBe(400);
      expect(JSON.parse(res.text).error).toMatchObject({ code: "bad_request", message: expect.stringMatching(/malformed/) });
    }
    const typo = await localRequest(home, "POST", "/api/v1/sessions", { body: { method: "pin", nmae: "Jane" } });
    expect(typo.status).toBe(400);
    expect(JSON.parse(typo.text).error.message).toBe('body: unknown field "nmae"');
    expect((await localRequest(home, "GET", "/api/v1/status")).status).toBe(200);
    expect(readFileSync(homePaths(home).log, "utf8")).not.toMatch(/URIError|at decodeURIComponent|internal error/);
  });

  it("gives no answer to an offer that is not an SDP or has no media, and still answers a real one", async () => {
    const created = await rescue(home, ["session", "new", "--lens", "--pin", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    const { id, pin } = created.json();
    customer = await customerReady(server, pin);
    expect((await rescue(home, ["session", "wait", id, "--status", "waiting", "--timeout", "10"])).code).toBe(0);

    const empty = await customerOffer([]);
    pcs.push(empty.pc);
    for (const sdp of ["hello world", empty.sdp, "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"]) {
      customer.send({ type: "signal", signal: { kind: "offer", sdp } });
    }
    expect(await answerWithin(customer, 3000)).toBeNull();
    const log = readFileSync(homePaths(home).log, "utf8");
    expect(log).toMatch(/offer refused: not an SDP offer/);
    expect(log).toMatch(/offer refused: the offer has no audio or video section/);

    const real = await customerOffer();
    pcs.push(real.pc);
    customer.send({ type: "signal", signal: { kind: "offer", sdp: real.sdp } });
    expect(await answerWithin(customer, 20_000)).toMatch(/^v=0[\s\S]*m=video/);
  }, 60_000);
});

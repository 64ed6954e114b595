import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RTCPeerConnection } from "werift";
import { homePaths } from "../../src/profile/home.js";
import { daemonPid, dropHome, loggedInHome, rescue } from "../helpers/cli.js";
import { customerReady, startTestServer, type TestServer, type WsProbe } from "../helpers/server.js";
import { runs } from "../helpers/processes.js";
import { udpSocketCount } from "../helpers/sockets.js";
import { customerOffer } from "../helpers/offer.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `f` until it is at most `max` or the deadline passes; returns the last value. */
async function settlesAtMost(f: () => number, max: number, ms: number): Promise<number> {
  const deadline = Date.now() + ms;
  let v = f();
  while (v > max && Date.now() < deadline) {
    await sleep(200);
    v = f();
  }
  return v;
}

/** The answers the customer receives until none came for `quietMs` (candidates are skipped). */
async function answersUntilQuiet(customer: WsProbe, quietMs: number, firstMs = 20_000): Promise<{ type: "answer"; sdp: string }[]> {
  const out: { type: "answer"; sdp: string }[] = [];
  for (;;) {
    // The first answer may take long on a busy machine; after it, quiet means done.
    const m = await customer.next("signal", out.length === 0 ? firstMs : quietMs).catch(() => null);
    if (!m) return out;
    if (m.signal.kind === "answer") out.push({ type: "answer", sdp: m.signal.sdp });
  }
}

/**
 * A customer that sends offer after offer (a page reloading in a loop, an odd sender): every
 * replaced werift peer must give its UDP sockets back, and the newest offer is the one answered.
 */
describe("rescued under a flood of offers, and offers that are not media", () => {
  let server: TestServer;
  let home: string;
  let customer: WsProbe | undefined;
  const pcs: RTCPeerConnection[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    ({ home } = await loggedInHome(server, ["lens", "private", "pin"]));
  });
  afterAll(async () => {
    await customer?.close();
    await Promise.all(pcs.map((pc) => pc.close().catch(() => undefined)));
    await dropHome(home);
    await server.close();
  });

  it("gives no answer to an offer that is not an SDP or has no media, and still answers a real one", async () => {
    const created = await rescue(home, ["session", "new", "--lens", "--pin", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    const { id, pin } = created.json();
    const probe = await customerReady(server, pin);
    try {
      expect((await rescue(home, ["session", "wait", id, "--status", "waiting", "--timeout", "10"])).code).toBe(0);
      const empty = await customerOffer([]);
      pcs.push(empty.pc);
      for (const sdp of ["hello world", empty.sdp, "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"]) {
        probe.send({ type: "signal", signal: { kind: "offer", sdp } });
      }
      expect(await answersUntilQuiet(probe, 1000, 3000)).toEqual([]);
      const log = readFileSync(homePaths(home).log, "utf8");
      expect(log).toMatch(/offer refused: not an SDP offer/);
      expect(log).toMatch(/offer refused: the offer has no audio or video section/);

      const real = await customerOffer();
      pcs.push(real.pc);
      probe.send({ type: "signal", signal: { kind: "offer", sdp: real.sdp } });
      expect((await answersUntilQuiet(probe, 1000)).map((a) => a.sdp)).toEqual([expect.stringMatching(/^v=0[\s\S]*m=video/)]);
    } finally {
      await probe.close();
      await rescue(home, ["session", "end", id]);
    }
  }, 60_000);

  it("keeps the UDP sockets of one peer after 30 back-to-back offers, and answers the newest", async () => {
    const created = await rescue(home, ["session", "new", "--lens", "--pin", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    const { id, pin } = created.json();
    customer = await customerReady(server, pin);
    expect((await rescue(home, ["session", "wait", id, "--status", "waiting", "--timeout", "10"])).code).toBe(0);
    const pid = daemonPid(home)!;
    const idle = udpSocketCount(pid);

    // One offer, answered: the sockets one peer holds.
    const first = await customerOffer();
    pcs.push(first.pc);
    customer.send({ type: "signal", signal: { kind: "offer", sdp: first.sdp } });
    expect((await answersUntilQuiet(customer, 1000)).length).toBe(1);
    const onePeer = udpSocketCount(pid);
    expect(onePeer).toBeGreaterThan(idle);

    // Thirty more, back to back: each a new offer (new origin and ICE credentials).
    const offers = [];
    for (let i = 0; i < 30; i++) {
      const o = await customerOffer();
      offers.push(o);
      pcs.push(o.pc);
    }
    for (const o of offers) customer.send({ type: "signal", signal: { kind: "offer", sdp: o.sdp } });
    const answers = await answersUntilQuiet(customer, 3000);
    expect(answers.length).toBeGreaterThan(0);

    // The last answer is for the newest offer: it connects with the newest offerer.
    const last = offers.at(-1)!.pc;
    const connected = new Promise<void>((resolve) => last.connectionStateChange.subscribe((s) => s === "connected" && resolve()));
    await last.setRemoteDescription(answers.at(-1)!);
    await Promise.race([connected, sleep(10_000)]);
    const after = await settlesAtMost(() => udpSocketCount(pid), onePeer, 20_000);
    console.log(`UDP sockets: idle ${idle}, one peer ${onePeer}, after 30 more offers ${after}; ${answers.length} answers`);
    expect(last.connectionState).toBe("connected");
    expect(after).toBeLessThanOrEqual(onePeer);

    // Whatever peers it had, a stopped daemon is a gone process.
    const stop = await rescue(home, ["daemon", "stop", "--json"]);
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.json()).toEqual({ stopped: true, pid });
    expect(runs(pid)).toBe(false);
  }, 90_000);
});

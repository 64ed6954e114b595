import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CliResult } from "../helpers/cli.js";
import { lanTechnician, type LanTechnician } from "../helpers/lan.js";
import { statsWhen } from "../helpers/lens.js";
import { netnsUnavailable } from "../helpers/netns.mjs";
import { SessionStats } from "../../src/protocol/index.js";

const BIN = join(import.meta.dirname, "..", "..", "bin", "rescue.js");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const unavailable = netnsUnavailable();

/** `rescue simulate customer` inside the LAN's namespace, streaming for a minute. */
function customerIn(lan: LanTechnician, pin: string): { child: ChildProcess; customer: Promise<CliResult> } {
  const child = spawn("ip", ["netns", "exec", lan.ns.name, process.execPath, BIN, "simulate", "customer", "--server", lan.server.url, "--pin", pin, "--duration", "60", "--json"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  const customer = new Promise<CliResult>((done) => child.on("close", (code) => done({ code: code ?? -1, stdout, stderr, json: () => JSON.parse(stdout) })));
  return { child, customer };
}

/**
 * The customer's link goes down for some seconds while they stream (the simulator in a network
 * namespace, the link taken down by the kernel). A camera cannot send what it could not send
 * when it was taken: after the outage the customer goes on live, and the daemon gets media at
 * the live rate, not the outage's frames late in a burst.
 */
describe.skipIf(unavailable !== undefined)("a customer link that drops for some seconds", { timeout: 180_000 }, () => {
  let lan: LanTechnician;

  beforeAll(async () => {
    lan = await lanTechnician("link-drop", ["lens", "private", "pin", "record"]);
  }, 60_000);

  afterAll(async () => {
    lan?.ns.setLink(true);
    await lan?.close();
  });

  it("after the link comes back the frames arrive at the live rate: none of the outage's are sent late", async () => {
    const created = await lan.cli(["session", "new", "--lens", "--pin", "--name", "Ann", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    const session = created.json<{ id: string; pin: string }>();
    const { child, customer } = customerIn(lan, session.pin);
    try {
      expect((await lan.cli(["session", "wait", session.id, "--status", "waiting", "--timeout", "60"])).code).toBe(0);
      expect((await lan.cli(["session", "start", session.id, "--json"])).code).toBe(0);
      const stats = async () => SessionStats.parse((await lan.cli(["session", "stats", session.id, "--json"])).json());
      await statsWhen(lan.home, session.id, (s) => s.video.frames > 90, 60_000);

      const outageMs = 7_000;
      lan.ns.setLink(false);
      const downAt = Date.now();
      await sleep(outageMs);
      const beforeUp = (await stats()).video.frames;
      lan.ns.setLink(true);
      const upAt = Date.now();
      // Frames received since the link came back, against the time that passed: at 30 fps live,
      // at most 30 a second (and one second's more for a stats poll that lags behind).
      const samples: { afterUpMs: number; frames: number }[] = [];
      while (Date.now() - upAt < 8_000) {
        const s = await stats();
        samples.push({ afterUpMs: Date.now() - upAt, frames: s.video.frames - beforeUp });
        await sleep(200);
      }
      const seen = JSON.stringify({ outageMs: upAt - downAt, samples });
      // The media came back (the connection lives through a short outage).
      expect(samples.at(-1)!.frames, seen).toBeGreaterThan(30);
      for (const s of samples) expect(s.frames, seen).toBeLessThanOrEqual(30 * (s.afterUpMs / 1000 + 1));
    } finally {
      child.kill("SIGTERM");
      await customer;
      await lan.cli(["session", "end", session.id]);
    }
  });
});

/**
 * A longer outage, in which the server's heartbeat finds the customer's socket dead: the customer
 * resumes once the network is back and says how long it was away, counted from its last contact
 * with the server, not from noticing (only when the network was back) that its socket had died.
 */
describe.skipIf(unavailable !== undefined)("a customer away long enough for the server to drop its socket", { timeout: 180_000 }, () => {
  let lan: LanTechnician;

  beforeAll(async () => {
    lan = await lanTechnician("away", ["lens", "private", "pin", "record"], { heartbeatMs: 1_000 });
  }, 60_000);

  afterAll(async () => {
    lan?.ns.setLink(true);
    await lan?.close();
  });

  it("customer-reconnected.reportedAwayMs covers the whole outage", async () => {
    const created = await lan.cli(["session", "new", "--lens", "--pin", "--name", "Ann", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    const session = created.json<{ id: string; pin: string }>();
    const { child, customer } = customerIn(lan, session.pin);
    type Entry = { at: string; event: string; afterMs?: number; reportedAwayMs?: number };
    const log = async () => (await lan.cli(["session", "log", session.id, "--json"])).json<Entry[]>();
    try {
      expect((await lan.cli(["session", "wait", session.id, "--status", "waiting", "--timeout", "60"])).code).toBe(0);
      expect((await lan.cli(["session", "start", session.id, "--json"])).code).toBe(0);
      await statsWhen(lan.home, session.id, (s) => s.video.frames > 30, 60_000);

      const outageMs = 12_000;
      lan.ns.setLink(false);
      const downAt = Date.now();
      // The server notices (heartbeat) while the link is down; the customer cannot know yet.
      await expect.poll(async () => (await log()).some((e) => e.event === "customer-lost"), { timeout: outageMs, interval: 500 }).toBe(true);
      await sleep(Math.max(0, downAt + outageMs - Date.now()));
      lan.ns.setLink(true);
      const upAt = Date.now();
      let back: Entry | undefined;
      await expect.poll(async () => (back = (await log()).find((e) => e.event === "customer-reconnected")), { timeout: 60_000, interval: 500 }).toBeTruthy();
      const seen = JSON.stringify({ outageMs: upAt - downAt, back });
      const reconnectedAfterDownMs = Date.parse(back!.at) - downAt;
      // Its last contact was before the link went down (a ping is answered every 5 s at the latest).
      expect(back!.reportedAwayMs, seen).toBeGreaterThanOrEqual(upAt - downAt);
      expect(back!.reportedAwayMs, seen).toBeLessThanOrEqual(reconnectedAfterDownMs + 5_000 + 1_000);
    } finally {
      child.kill("SIGTERM");
      await customer;
      await lan.cli(["session", "end", session.id]);
    }
  });
});

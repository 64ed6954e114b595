import { spawn } from "node:child_process";
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
    const child = spawn("ip", ["netns", "exec", lan.ns.name, process.execPath, BIN, "simulate", "customer", "--server", lan.server.url, "--pin", session.pin, "--duration", "60", "--json"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const customer = new Promise<CliResult>((done) => child.on("close", (code) => done({ code: code ?? -1, stdout, stderr, json: () => JSON.parse(stdout) })));
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

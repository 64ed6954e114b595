import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lanTechnician, simulatorIn, type LanTechnician } from "../helpers/lan.js";
import { statsWhen } from "../helpers/lens.js";
import { netnsUnavailable } from "../helpers/netns.mjs";

const unavailable = netnsUnavailable();

/**
 * A phone whose network changed under it (Wi-Fi to LTE, a NAT that forgot the mapping) keeps a
 * WebSocket that looks open: no error, no reset, only silence. The simulated customer, in a
 * network namespace whose old TCP connections the kernel now drops both ways, must notice the
 * silence and resume on a new socket within the grace period, as the page does.
 */
describe.skipIf(unavailable !== undefined)("a customer whose socket is left half-open", { timeout: 180_000 }, () => {
  let lan: LanTechnician;

  beforeAll(async () => {
    lan = await lanTechnician("half-open", ["lens", "private", "pin", "record"], { heartbeatMs: 2000 });
  }, 60_000);

  afterAll(async () => {
    await lan?.close();
  });

  it("resumes on a new socket after hearing nothing for a while; the session stays active and its end still reaches the customer", async () => {
    const created = await lan.cli(["session", "new", "--lens", "--pin", "--name", "Ann", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    const session = created.json<{ id: string; pin: string }>();
    const sim = simulatorIn(lan, session.pin, ["--duration", "120", "--json"]);
    try {
      expect((await lan.cli(["session", "wait", session.id, "--status", "waiting", "--timeout", "60"])).code).toBe(0);
      expect((await lan.cli(["session", "start", session.id, "--json"])).code).toBe(0);
      await statsWhen(lan.home, session.id, (s) => s.video.frames > 60, 60_000);

      const stranded = lan.ns.strandTcp(Number(new URL(lan.server.url).port));
      expect(stranded.length).toBeGreaterThan(0);
      const strandedAt = Date.now();
      const log = async () => (await lan.cli(["session", "log", session.id, "--json"])).json<{ event: string; [k: string]: unknown }[]>();
      let back: { event: string; [k: string]: unknown } | undefined;
      await expect.poll(async () => (back = (await log()).find((e) => e.event === "customer-reconnected")), { timeout: 90_000, interval: 500 }).toBeTruthy();
      const resumedMs = Date.now() - strandedAt;
      // It counts its time away from the last thing it heard, before the network changed.
      expect(back!.reportedAwayMs as number, JSON.stringify(back)).toBeGreaterThanOrEqual(10_000);
      const listed = (await lan.cli(["session", "list", "--json"])).json<{ id: string; status: string }[]>();
      expect(listed.find((s) => s.id === session.id)?.status).toBe("active");

      // The new socket carries the session: the end reaches the customer, who stops at once.
      expect((await lan.cli(["session", "end", session.id, "--json"])).code).toBe(0);
      const ended = await Promise.race([sim.done, new Promise<null>((r) => setTimeout(() => r(null), 30_000))]);
      expect(ended, "the customer never heard the end").not.toBeNull();
      expect(ended!.stderr).toMatch(/reconnect/i);
      console.log(`half-open socket (ports ${stranded.join(", ")}): the simulator resumed ${resumedMs} ms after the network switch`);
    } finally {
      sim.child.kill("SIGTERM");
      await sim.done;
    }
  });
});

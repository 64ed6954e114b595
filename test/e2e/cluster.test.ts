import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliLogin, dropHome, makeHome, rescue } from "../helpers/cli.js";
import { startHaproxy, type Balancer } from "../helpers/haproxy.js";
import { simulateCustomer, statsWhen, type RecordingEntry } from "../helpers/lens.js";
import { startNodeCluster, type NodeCluster } from "../helpers/node-cluster.js";
import { ffprobe, frames } from "../media/helpers.js";
import { SHARED_CONTACT_EVERY_MS } from "../../src/server/ws/customer-contacts.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A node's id in Redis, from its start-up log record. */
function nodeId(stderr: string): string {
  const m = /"node":"([^"]+)"[^\n]*one of several nodes/.exec(stderr);
  if (!m) throw new Error(`no node id in the log: ${stderr.slice(0, 2000)}`);
  return m[1]!;
}

/**
 * Three `rescue-server` processes on one PostgreSQL and one Redis. The technician (CLI + daemon)
 * is logged in to node 1, the customer (`rescue simulate customer`, its own process) comes
 * through haproxy set to `balance first` over node 2 then node 3, so it lands on node 2; a
 * collaborator joins through node 3. Then node 2 is killed with SIGKILL: the customer's socket
 * resumes through the balancer on node 3, and the session goes on.
 */
describe("three nodes end to end: technician, customer and collaborator on different nodes, a node killed", { timeout: 240_000 }, () => {
  let cluster: NodeCluster;
  let lb: Balancer;
  const homes: string[] = [];

  beforeAll(async () => {
    cluster = await startNodeCluster(3, ["--trust-proxy", "127.0.0.1"]);
    lb = await startHaproxy([`127.0.0.1:${cluster.ports[1]}`, `127.0.0.1:${cluster.ports[2]}`], { balance: "first" });
  }, 600_000);

  afterAll(async () => {
    for (const h of homes) await dropHome(h);
    await lb?.stop();
    await cluster?.stop();
  }, 60_000);

  it("records VP8 + Opus, and the customer continues through another node after SIGKILL of theirs", async () => {
    const lead = await cluster.technician(["lens", "private", "pin", "record", "chat", "invite-internal"]);
    const helper = await cluster.technician(["lens", "private", "pin", "chat"]);
    const leadHome = makeHome();
    const helperHome = makeHome();
    homes.push(leadHome, helperHome);
    await cliLogin(leadHome, cluster.nodes[0]!.url, lead.email, lead.password);
    await cliLogin(helperHome, cluster.nodes[2]!.url, helper.email, helper.password);

    const created = await rescue(leadHome, ["session", "new", "--lens", "--pin", "--name", "Ann", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    const session = created.json<{ id: string; pin: string }>();
    const customer = simulateCustomer(lb.url, session.pin, ["--duration", "40", "--name", "Ann"]);
    try {
      const waited = await rescue(leadHome, ["session", "wait", session.id, "--status", "waiting", "--timeout", "30", "--json"]);
      expect(waited.code, waited.stderr).toBe(0);
      const start = await rescue(leadHome, ["session", "start", session.id, "--json"]);
      expect(start.code, start.stderr).toBe(0);
      expect(start.json().recording).toMatch(/\.webm$/);
      const before = await statsWhen(leadHome, session.id, (s) => s.video.frames > 30, 30_000);
      expect(before.video.codec).toBe("vp8");
      expect(before.audio.codec).toBe("opus");

      // The collaborator, logged in to node 3, is invited by the lead on node 1 and sees the customer's video.
      const inv = await rescue(leadHome, ["invite", "--session", session.id, "--internal", helper.email, "--permission", "view,chat", "--json"]);
      expect(inv.code, inv.stderr).toBe(0);
      const joined = await rescue(helperHome, ["join", "--pin", inv.json().pin, "--json"]);
      expect(joined.code, joined.stderr).toBe(0);
      await statsWhen(helperHome, session.id, (s) => s.video.frames > 30, 30_000);
      expect((await rescue(helperHome, ["chat", session.id, "collaborator on node 3"])).code).toBe(0);

      // The customer is on node 2: the balancer sends everything to its first live server.
      const node2 = cluster.nodes[1]!;
      const redis = cluster.redis.client();
      const holder = () => redis.get(`rescue:customer:${session.id}`);
      expect(await holder()).toBe(nodeId(node2.stderr()));
      const framesAtKill = (await statsWhen(leadHome, session.id, () => true)).video.frames;
      const killedAt = Date.now();
      node2.child.kill("SIGKILL");

      // The technician sees the customer back: the session log records the reconnection.
      let backAt = 0;
      for (const deadline = Date.now() + 60_000; !backAt; ) {
        const log = (await rescue(leadHome, ["session", "log", session.id, "--json"])).json<{ event: string }[]>();
        if (log.some((e) => e.event === "customer-reconnected")) backAt = Date.now();
        else if (Date.now() > deadline) throw new Error(`customer never reconnected: ${JSON.stringify(log.map((e) => e.event))}`);
        else await sleep(200);
      }
      // The technician was told of the drop before the return, and the return's afterMs is the gap the
      // servers measured, from the last contact node 2 told Redis of: more than nothing, and no more
      // than the time from the kill until the return was seen, plus how long before the kill that
      // contact may have been (the customer pings every 5 s; a node tells Redis at most once a second).
      const contactBeforeKillMs = 5_000 + SHARED_CONTACT_EVERY_MS;
      const told = (await rescue(leadHome, ["session", "log", session.id, "--json"])).json<{ event: string; afterMs?: number }[]>();
      const returned = told.findIndex((e) => e.event === "customer-reconnected");
      const dropped = told.findIndex((e) => e.event === "customer-disconnected" || e.event === "customer-lost");
      expect(dropped, JSON.stringify(told.map((e) => e.event))).toBeGreaterThanOrEqual(0);
      expect(dropped).toBeLessThan(returned);
      expect(told[returned]!.afterMs).toBeGreaterThan(0);
      expect(told[returned]!.afterMs).toBeLessThanOrEqual(backAt - killedAt + contactBeforeKillMs);
      // Presence names the node that holds the customer's socket now: node 3, the balancer's next server.
      expect(await holder()).toBe(nodeId(cluster.nodes[2]!.stderr()));
      const after = await statsWhen(leadHome, session.id, (s) => s.video.frames > framesAtKill + 60, 60_000);
      const mediaAt = Date.now();
      expect(after.video.frames).toBeGreaterThan(framesAtKill + 60);
      // The session still answers on every live node, and chat still reaches it through the bus.
      expect((await rescue(leadHome, ["chat", session.id, "still there after the node died?"])).code).toBe(0);
      console.log(JSON.stringify({ cluster: { customerBackMs: backAt - killedAt, mediaBackMs: mediaAt - killedAt, framesAtKill, framesAfter: after.video.frames } }));

      const ended = await rescue(leadHome, ["session", "end", session.id, "--json"]);
      expect(ended.code, ended.stderr).toBe(0);
      expect(ended.json().status).toBe("closed");
      const sent = await customer.result;
      expect(sent.endedBy).toBe("closed");

      // Every segment of the session's recording is VP8 + Opus; together they hold the frames seen before and after.
      let recs: RecordingEntry[] = [];
      for (const deadline = Date.now() + 20_000; ; await sleep(200)) {
        recs = (await rescue(leadHome, ["recordings", "list", "--json"])).json<RecordingEntry[]>().filter((r) => r.session === session.id);
        if (recs.length > 0 && recs.every((r) => r.durationMs !== null)) break;
        if (Date.now() > deadline) throw new Error(`recordings not finished: ${JSON.stringify(recs)}`);
      }
      let recorded = 0;
      for (const r of recs) {
        const probe = await ffprobe(r.path);
        expect(probe.streams.map((s) => s.codec_name).sort()).toEqual(["opus", "vp8"]);
        recorded += frames(probe, "video");
      }
      expect(recorded).toBeGreaterThan(framesAtKill + 60);
      // Everything the technician had received by then is on disk. (The simulator's own count also
      // holds what it sent while its node was dead and the peers were renegotiating: not compared.)
      expect(recorded).toBeGreaterThanOrEqual(after.video.frames);
      console.log(JSON.stringify({ cluster: { sentVideoFrames: sent.sentVideoFrames, recordedVideoFrames: recorded, segments: recs.length } }));

      const events = (await rescue(leadHome, ["session", "log", session.id, "--json"])).json<{ event: string }[]>().map((e) => e.event);
      for (const e of ["customer-connected", "started", "recording-started", "media-connected", "customer-reconnected", "recording-stopped"]) {
        expect(events, `log has ${e}`).toContain(e);
      }
    } finally {
      customer.child.kill("SIGKILL");
    }
  });
});

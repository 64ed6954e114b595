import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initData, startServer, type RunningServer } from "../../src/server/index.js";
import { buildDist } from "../helpers/build.js";
import { dropHome, makeHome, rescue, type CliResult } from "../helpers/cli.js";
import { coturnUnavailable, startCoturn, type Coturn } from "../helpers/coturn.js";
import { finishedRecording, statsWhen } from "../helpers/lens.js";
import { createNetns, netnsUnavailable, type NetNs } from "../helpers/netns.mjs";
import { ffprobe, frames } from "../media/helpers.js";

const BIN = resolve(import.meta.dirname, "../../bin/rescue.js");

/** `bin/rescue.js ARGS` inside a network namespace (a daemon it starts stays there). */
function rescueIn(ns: NetNs, home: string, args: string[], stdin = ""): Promise<CliResult> {
  const child = spawn("ip", ["netns", "exec", ns.name, process.execPath, BIN, ...args], {
    env: { ...process.env, RESCUE_HOME: home },
    stdio: ["pipe", "pipe", "pipe"],
  });
  child.stdin.end(stdin);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  return new Promise((done) =>
    child.on("close", (code) =>
      done({ code: code ?? -1, stdout, stderr, json: () => JSON.parse(stdout) }),
    ),
  );
}

/** Whether `from` has any route to `to` (`ip route get` fails with "Network is unreachable" otherwise). */
function routes(from: NetNs, to: string): boolean {
  try {
    execFileSync("ip", ["netns", "exec", from.name, "ip", "route", "get", to], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const skip = netnsUnavailable() ?? coturnUnavailable();

/**
 * Customer in one namespace, the technician's daemon in another, no route between them: only
 * coturn, in the namespace between (this test's own), reaches both. The server hands each side
 * its TURN credential; the media has to go through the relay.
 */
describe.skipIf(skip)("media through coturn when customer and technician cannot reach each other", { timeout: 300_000 }, () => {
  let customerNs: NetNs;
  let techNs: NetNs;
  let coturn: Coturn;
  let server: RunningServer;
  let dataDir: string;
  let home: string | undefined;
  let admin: { email: string; password: string };

  beforeAll(async () => {
    await buildDist();
    customerNs = createNetns();
    techNs = createNetns();
    // The technician's side reaches the server and coturn at the customer-facing address, as a
    // public address; the customer's side has only its own link.
    execFileSync("ip", ["netns", "exec", techNs.name, "ip", "route", "add", `${customerNs.hostAddress}/32`, "via", techNs.hostAddress]);
    coturn = await startCoturn([customerNs.hostAddress]);
    dataDir = join(mkdtempSync(join(tmpdir(), "rescue-turn-e2e-")), "data");
    admin = await initData(dataDir, "admin@example.test");
    server = await startServer({
      dataDir,
      host: customerNs.hostAddress,
      port: 0,
      logLevel: "silent",
      turn: { urls: [`turn:${customerNs.hostAddress}:${coturn.port}?transport=udp`], secret: coturn.secret, ttlSeconds: 600 },
    });
  }, 300_000);

  afterAll(async () => {
    if (home) await dropHome(home);
    await server?.close();
    await coturn?.close();
    techNs?.close();
    customerNs?.close();
    if (dataDir) rmSync(join(dataDir, ".."), { recursive: true, force: true });
  });

  it("records VP8 + Opus that came through the relay", async () => {
    expect(routes(customerNs, techNs.nsAddress)).toBe(false);
    expect(routes(techNs, customerNs.nsAddress)).toBe(false);

    const tech = await technician(server.url, admin);
    home = makeHome();
    const login = await rescueIn(techNs, home, ["login", "--server", server.url, "--email", tech.email, "--password-stdin", "--json"], `${tech.password}\n`);
    expect(login.code, login.stderr).toBe(0);
    // The daemon in the technician's namespace (login may have started it there already; a second
    // one gives way to it). Started by hand: `daemon start` gives up after 8 s on a loaded machine.
    const rescued = spawn("ip", ["netns", "exec", techNs.name, process.execPath, resolve(BIN, "../rescued.js")], {
      env: { ...process.env, RESCUE_HOME: home },
      stdio: "ignore",
    });
    rescued.unref();
    const deadline = Date.now() + 60_000;
    while ((await rescue(home, ["daemon", "status", "--json"])).code !== 0) {
      expect(Date.now(), "rescued answers within 60 s").toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 250));
    }
    const created = await rescue(home, ["session", "new", "--lens", "--pin", "--name", "Ann", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    const session = created.json<{ id: string; pin: string }>();
    const seconds = 15;
    const customer = rescueIn(customerNs, home, ["simulate", "customer", "--server", server.url, "--pin", session.pin, "--name", "Ann", "--duration", String(seconds), "--json"]);
    const waited = await rescue(home, ["session", "wait", session.id, "--status", "waiting", "--timeout", "30", "--json"]);
    expect(waited.code, waited.stderr).toBe(0);
    const start = await rescue(home, ["session", "start", session.id, "--json"]);
    expect(start.code, start.stderr).toBe(0);

    const stats = await statsWhen(home, session.id, (s) => s.video.frames > 30 && s.connection?.route !== undefined, 60_000);
    const route = stats.connection!.route!;
    expect([route.local, route.remote], JSON.stringify(route)).toContain("relay");
    // The same in words (polled: on a loaded machine the customer may have remade its connection).
    await expect.poll(async () => (await rescue(home!, ["session", "stats", session.id])).stdout, { timeout: 30_000 }).toMatch(/route\t.*relay.*\(through TURN\)/);

    const sent = await customer;
    expect(sent.code, sent.stderr).toBe(0);
    const result = sent.json<{ sentVideoFrames: number; endedBy: string }>();
    expect(result.endedBy).toBe("streamed");
    await finishedRecording(home, session.id, 30_000);
    // Every segment of the session (a connection remade under load starts another).
    const segments = (await rescue(home, ["recordings", "list", "--json"])).json<{ session: string; path: string }[]>().filter((r) => r.session === session.id);
    let videoFrames = 0;
    let audioFrames = 0;
    for (const segment of segments) {
      const probe = await ffprobe(segment.path);
      expect(probe.streams.map((st) => st.codec_name).sort()).toEqual(["opus", "vp8"]);
      videoFrames += frames(probe, "video");
      audioFrames += frames(probe, "audio");
    }
    // Relayed, on a loaded machine: most frames, not necessarily all of them.
    expect(videoFrames).toBeGreaterThanOrEqual(Math.ceil(result.sentVideoFrames * 0.8));
    expect(audioFrames).toBeGreaterThan(seconds * 25);

    // coturn saw both peers' allocations under the names the server gave them.
    const log = coturn.log();
    expect(log).toMatch(new RegExp(`user <\\d+:c-${session.id}>`));
    expect(log).toMatch(/user <\d+:t-[A-Za-z0-9_-]+>/);
  });
});

/** A technician with Lens permissions, made through the admin API as `admin`. */
async function technician(url: string, admin: { email: string; password: string }): Promise<{ email: string; password: string }> {
  const post = async (path: string, body: unknown, token?: string) =>
    (await (
      await fetch(url + path, {
        method: "POST",
        headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(body),
      })
    ).json()) as any;
  const { token } = (await post("/api/v1/auth/login", admin)) as { token: string };
  await post("/api/v1/admin/groups", { name: "Support", permissions: ["lens", "private", "pin", "record"] }, token);
  return (await post("/api/v1/admin/technicians", { email: "tech@example.test", group: "Support" }, token)) as { email: string; password: string };
}

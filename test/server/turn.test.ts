import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { RTCPeerConnection } from "werift";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ServerConfig, ServerToCustomer, Session, type IceServer } from "../../src/protocol/index.js";
import { readTurnSecret, turnCredential } from "../../src/server/turn.js";
import { buildDist } from "../helpers/build.js";
import { coturnUnavailable, startCoturn, type Coturn } from "../helpers/coturn.js";
import { listeningUrl } from "../helpers/server-process.js";
import { openCustomerWs, startTestServer, type TestServer } from "../helpers/server.js";

const ROOT = resolve(import.meta.dirname, "../..");
const BIN = join(ROOT, "bin/rescue-server.js");

/**
 * Whether coturn grants these ICE servers an allocation: a werift peer limited to relay candidates
 * gathers one only when coturn accepted the credential.
 */
async function relayGathered(iceServers: IceServer[]): Promise<boolean> {
  const pc = new RTCPeerConnection({ iceServers, iceTransportPolicy: "relay", bundlePolicy: "max-bundle" });
  try {
    pc.addTransceiver("audio", { direction: "sendonly" });
    await pc.setLocalDescription(await pc.createOffer());
    const deadline = Date.now() + 20_000;
    while (pc.iceGatheringState !== "complete" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    return / typ relay /.test(pc.localDescription?.sdp ?? "");
  } finally {
    await pc.close();
  }
}

const skip = coturnUnavailable();
let coturn: Coturn;
let tmp: string;
beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "rescue-turn-"));
  if (!skip) coturn = await startCoturn(["127.0.0.1"]);
}, 30_000);
afterAll(async () => {
  await coturn?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe("TURN secret file", () => {
  it("is refused when group or others may read it, and read without its newline when 0600", () => {
    const file = join(tmp, "secret-open");
    writeFileSync(file, "s3cret-value\n", { mode: 0o600 });
    expect(readTurnSecret(file)).toBe("s3cret-value");
    for (const mode of [0o640, 0o604, 0o620]) {
      chmodSync(file, mode);
      expect(() => readTurnSecret(file)).toThrow(/open to others .*chmod 600/);
    }
    writeFileSync(join(tmp, "empty"), "\n", { mode: 0o600 });
    expect(() => readTurnSecret(join(tmp, "empty"))).toThrow(/empty/);
  });
});

describe("rescue-server start with TURN", { timeout: 120_000 }, () => {
  beforeAll(async () => {
    await buildDist();
  }, 300_000);
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  });

  function run(args: string[]): Promise<{ code: number | null; stderr: string; child: ChildProcess }> {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, RESCUE_LOG_LEVEL: "" } });
    children.push(child);
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    return new Promise((done) => child.on("close", (code) => done({ code, stderr, child })));
  }

  it("refuses a secret file others can read, and never prints or serves the secret", async () => {
    const data = join(tmp, "data");
    const init = spawn(process.execPath, [BIN, "init", "--data", data, "--json"], { cwd: ROOT });
    let out = "";
    init.stdout.on("data", (d) => (out += d));
    await new Promise((r) => init.on("close", r));
    const admin = JSON.parse(out) as { email: string; password: string };

    const secret = "do-not-leak-7f3a9c1e5b";
    const file = join(tmp, "turn-secret");
    writeFileSync(file, `${secret}\n`, { mode: 0o644 });
    const refused = await run(["start", "--data", data, "--port", "0", "--turn-url", "turn:127.0.0.1:3478", "--turn-secret-file", file]);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toMatch(/open to others .*chmod 600/);
    expect(refused.stderr).not.toContain(secret);

    const half = await run(["start", "--data", data, "--port", "0", "--turn-url", "turn:127.0.0.1:3478"]);
    expect(half.code).toBe(2);
    expect(half.stderr).toContain("--turn-secret-file");
    const badUrl = await run(["start", "--data", data, "--port", "0", "--turn-url", "http://turn.example.com", "--turn-secret-file", file]);
    expect(badUrl.code).toBe(2);

    chmodSync(file, 0o600);
    const child = spawn(
      process.execPath,
      [BIN, "start", "--data", data, "--port", "0", "--log-level", "debug", "--turn-url", "turn:127.0.0.1:3478?transport=udp,turns:turn.example.test:5349", "--turn-secret-file", file, "--turn-ttl", "600"],
      { cwd: ROOT },
    );
    children.push(child);
    let stderr = "";
    const url = await new Promise<string>((ok, fail) => {
      child.stderr.on("data", (d) => {
        stderr += d;
        const listening = listeningUrl(stderr);
        if (listening) ok(listening);
      });
      child.on("close", (code) => fail(new Error(`exited ${code}: ${stderr}`)));
    });
    expect(stderr).toContain("TURN: turn:127.0.0.1:3478?transport=udp, turns:turn.example.test:5349 (credentials valid 600 s)");
    const post = async (path: string, body: unknown, token?: string) =>
      fetch(url + path, { method: "POST", headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
    const { token } = (await (await post("/api/v1/auth/login", admin)).json()) as { token: string };
    const configText = await (await fetch(`${url}/api/v1/config`, { headers: { authorization: `Bearer ${token}` } })).text();
    const config = ServerConfig.parse(JSON.parse(configText));
    const turn = config.iceServers.find((s) => s.username);
    expect(turn?.urls).toEqual(["turn:127.0.0.1:3478?transport=udp", "turns:turn.example.test:5349"]);
    const expiry = Number(turn!.username!.split(":")[0]);
    expect(expiry * 1000).toBeGreaterThan(Date.now() + 500_000);
    expect(expiry * 1000).toBeLessThanOrEqual(Date.now() + 601_000);
    expect(Date.parse(config.iceServersExpireAt!)).toBe(expiry * 1000);
    expect(configText).not.toContain(secret);

    // Every page a customer can load, and the customer's joined message.
    const session = (await (await post("/api/v1/sessions", { method: "pin" }, token)).json()) as Session;
    for (const path of ["/", "/pin", `/m/${session.pin}`, "/lens", "/assets/customer.js", "/assets/lens.js"]) {
      expect(await (await fetch(url + path)).text()).not.toContain(secret);
    }
    child.kill("SIGTERM");
    await new Promise((r) => child.once("close", r));
    expect(stderr).not.toContain(secret);
  });
});

describe("TURN credentials are renewed", () => {
  it("a customer who comes back and a daemon that asks again get credentials made then", async () => {
    let clock = Date.now();
    const server = await startTestServer({ turn: { urls: ["turn:127.0.0.1:3478"], secret: "renewal-secret", ttlSeconds: 600 }, now: () => new Date(clock) });
    try {
      const expiry = (servers: IceServer[]) => Number(servers.find((i) => i.username)!.username!.split(":")[0]);
      const tech = await server.technician(["lens", "private", "pin"]);
      const config = async () => ServerConfig.parse((await server.api("GET", "/api/v1/config", { token: tech.token })).body).iceServers;
      const first = expiry(await config());
      expect(first).toBe(Math.floor(clock / 1000) + 600);

      const s = Session.parse((await server.api("POST", "/api/v1/sessions", { token: tech.token, body: { method: "pin" } })).body);
      const c = await openCustomerWs(server);
      c.send({ type: "join", pin: s.pin });
      const joined = await c.next("joined");
      expect(expiry(joined.iceServers)).toBe(first);
      await c.close();

      // Within the grace period, or the session would be gone.
      clock += 60_000;
      const back = await openCustomerWs(server);
      back.send({ type: "resume", sessionId: s.id, token: joined.resume.token });
      const resumed = await back.next("joined");
      expect(resumed.resumed).toBe(true);
      expect(expiry(resumed.iceServers)).toBe(first + 60);
      expect(expiry(await config())).toBe(first + 60);
      await back.close();
    } finally {
      await server.close();
    }
  });
});

describe.skipIf(skip)("TURN credentials with a real coturn", { timeout: 120_000 }, () => {
  let server: TestServer | undefined;
  afterAll(async () => server?.close());

  it("each peer's credential gets a relay from coturn; the customer's joined message holds its own, not the secret", async () => {
    server = await startTestServer({ turn: { urls: [`turn:127.0.0.1:${coturn.port}?transport=udp`], secret: coturn.secret, ttlSeconds: 300 } });
    const tech = await server.technician(["lens", "private", "pin"]);
    const config = ServerConfig.parse((await server.api("GET", "/api/v1/config", { token: tech.token })).body);
    const mine = config.iceServers.find((s) => s.username)!;
    expect(mine.username).toMatch(/^\d+:t-/);
    expect(JSON.stringify(config)).not.toContain(coturn.secret);
    expect(await relayGathered(config.iceServers)).toBe(true);

    const s = Session.parse((await server.api("POST", "/api/v1/sessions", { token: tech.token, body: { method: "pin" } })).body);
    const c = await openCustomerWs(server);
    c.send({ type: "join", pin: s.pin, name: "Jane" });
    const raw = await c.next("joined");
    const joined = ServerToCustomer.parse(raw);
    if (joined.type !== "joined") throw new Error("not joined");
    expect(JSON.stringify(raw)).not.toContain(coturn.secret);
    const given = joined.iceServers.find((i) => i.username)!;
    expect(given.username).toMatch(new RegExp(`^\\d+:c-${s.id}$`));
    expect(await relayGathered(joined.iceServers)).toBe(true);
    await c.close();
  });

  it("the attack: a customer stretching its credential's expiry, or one minted with another secret, is refused by coturn", async () => {
    server ??= await startTestServer({ turn: { urls: [`turn:127.0.0.1:${coturn.port}?transport=udp`], secret: coturn.secret, ttlSeconds: 300 } });
    const urls = [`turn:127.0.0.1:${coturn.port}?transport=udp`];
    const s = Session.parse((await server.api("POST", "/api/v1/sessions", { token: (await server.technician(["lens", "private", "pin"])).token, body: { method: "pin" } })).body);
    const c = await openCustomerWs(server);
    c.send({ type: "join", pin: s.pin });
    const joined = (await c.next("joined")) as { iceServers: IceServer[] };
    await c.close();
    const given = joined.iceServers.find((i) => i.username)!;
    const [expiry, id] = given.username!.split(":") as [string, string];
    // A year more, with the credential it was given: the HMAC no longer matches.
    const stretched = { urls, username: `${Number(expiry) + 365 * 86400}:${id}`, credential: given.credential };
    expect(await relayGathered([stretched])).toBe(false);
    expect(await relayGathered([{ urls, ...turnCredential("guessed-secret", id, Number(expiry)) }])).toBe(false);
    expect(await relayGathered([{ urls, username: given.username, credential: given.credential }])).toBe(true);
  });

  it("a process whose connection had a relay exits once the connection is closed (werift patch)", async () => {
    const urls = [`turn:127.0.0.1:${coturn.port}?transport=udp`];
    const iceServers = [{ urls, ...turnCredential(coturn.secret, "exit-check", Math.floor(Date.now() / 1000) + 300) }];
    const script = `
      import { RTCPeerConnection } from "werift";
      const pc = new RTCPeerConnection({ iceServers: ${JSON.stringify(iceServers)}, iceTransportPolicy: "relay", bundlePolicy: "max-bundle" });
      pc.addTransceiver("audio", { direction: "sendonly" });
      await pc.setLocalDescription(await pc.createOffer());
      while (pc.iceGatheringState !== "complete") await new Promise((r) => setTimeout(r, 50));
      console.log(/ typ relay /.test(pc.localDescription.sdp) ? "relay" : "none");
      await pc.close();
    `;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    const startedAt = Date.now();
    const exited = await new Promise<boolean>((done) => {
      const timer = setTimeout(() => done(false), 60_000);
      child.on("exit", () => {
        clearTimeout(timer);
        done(true);
      });
    });
    if (!exited) child.kill("SIGKILL");
    expect(out.trim()).toBe("relay");
    // Unpatched, the allocation's refresh timer held the process for 5/6 of coturn's 600 s lifetime.
    expect(exited, `still running ${Date.now() - startedAt} ms after closing`).toBe(true);
  });

  it("a credential past its expiry is refused by coturn", async () => {
    // The server's clock an hour behind: what it hands out lapsed 50 minutes ago.
    const late = await startTestServer({
      turn: { urls: [`turn:127.0.0.1:${coturn.port}?transport=udp`], secret: coturn.secret, ttlSeconds: 600 },
      now: () => new Date(Date.now() - 3600_000),
    });
    try {
      const tech = await late.technician(["lens", "private", "pin"]);
      const config = ServerConfig.parse((await late.api("GET", "/api/v1/config", { token: tech.token })).body);
      const expired = config.iceServers.find((i) => i.username)!;
      expect(Number(expired.username!.split(":")[0]) * 1000).toBeLessThan(Date.now());
      expect(await relayGathered(config.iceServers)).toBe(false);
      // coturn finds no key for a username whose time has passed, and answers 401.
      expect(coturn.log()).toContain(`Cannot find credentials of user <${expired.username}>`);
      // The same peer label with a fresh expiry works: it is the time that was refused.
      const [, id] = expired.username!.split(":") as [string, string];
      expect(await relayGathered([{ urls: expired.urls, ...turnCredential(coturn.secret, id, Math.floor(Date.now() / 1000) + 60) }])).toBe(true);
    } finally {
      await late.close();
    }
  });
});

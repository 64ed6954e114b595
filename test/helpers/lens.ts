import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { OggOpusStreamReader } from "../../src/media/ogg-opus-stream.js";
import { SessionStats } from "../../src/protocol/index.js";
import { cliLogin, dropHome, makeHome, rescue } from "./cli.js";
import { BUILD_TIMEOUT_MS, buildDist } from "./build.js";
import { startTestServer, type Account, type TestServer } from "./server.js";

const BIN = join(import.meta.dirname, "..", "..", "bin", "rescue.js");

export interface SimulatedCustomer {
  child: ChildProcess;
  /** Resolves with the simulator's JSON result when it exits 0; rejects with its stderr otherwise. */
  result: Promise<{ session: string; sentVideoFrames: number; sentAudioPackets: number; receivedAudioPackets: number; endedBy: string }>;
}

/** `rescue simulate customer` as its own process, as QA runs it. */
export function simulateCustomer(server: string, pin: string, args: string[] = []): SimulatedCustomer {
  const child = spawn(process.execPath, [BIN, "simulate", "customer", "--server", server, "--pin", pin, "--json", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  const result = new Promise<SimulatedCustomer["result"] extends Promise<infer R> ? R : never>((resolve, reject) => {
    child.on("exit", (code) => {
      if (code === 0) resolve(JSON.parse(stdout));
      else reject(new Error(`simulator exited ${code}: ${stderr}`));
    });
  });
  result.catch(() => undefined);
  return { child, result };
}

export interface LensSetup {
  home: string;
  tech: Account;
  session: { id: string; pin: string };
  customer: SimulatedCustomer;
}

/**
 * A logged-in technician (own RESCUE_HOME, daemon started with `daemonEnv`), a Lens session by PIN,
 * and a simulated customer that has accepted the EULA: the session is waiting.
 */
export async function waitingLensSession(
  server: TestServer,
  opts: { seconds: number; daemonEnv?: Record<string, string>; customerArgs?: string[] },
): Promise<LensSetup> {
  const tech = await server.technician(["lens", "private", "pin", "record", "chat"]);
  const home = makeHome();
  let customer: SimulatedCustomer | undefined;
  try {
    await cliLogin(home, server.url, tech.email, tech.password);
    const started = await rescue(home, ["daemon", "start", "--json"], { env: opts.daemonEnv ?? {} });
    expect(started.code, started.stderr).toBe(0);
    const created = await rescue(home, ["session", "new", "--lens", "--pin", "--name", "Ann", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    const session = created.json<{ id: string; pin: string }>();
    customer = simulateCustomer(server.url, session.pin, ["--duration", String(opts.seconds), "--name", "Ann", ...(opts.customerArgs ?? [])]);
    // The customer joins, grants and accepts in its own process: slow on a busy machine.
    const waited = await rescue(home, ["session", "wait", session.id, "--status", "waiting", "--timeout", "60", "--json"]);
    expect(waited.code, waited.stderr).toBe(0);
    return { home, tech, session, customer };
  } catch (e) {
    // The caller gets no setup to clean up: the daemon and the customer must not outlive the test.
    customer?.child.kill("SIGKILL");
    await dropHome(home);
    throw e;
  }
}

/**
 * The hooks of a suite of Lens sessions: the project built and one server started before the
 * suite; after each test its customer is killed and its technician's home (daemon included)
 * dropped; the server closed at the end. `start` makes a waiting session the test then owns.
 */
export function lensSuite(serverOptions: Parameters<typeof startTestServer>[0] = {}) {
  let server: TestServer;
  let setup: LensSetup | undefined;
  beforeAll(async () => {
    await buildDist();
    server = await startTestServer(serverOptions);
  }, BUILD_TIMEOUT_MS);
  afterEach(async () => {
    setup?.customer.child.kill("SIGKILL");
    if (setup) await dropHome(setup.home);
    setup = undefined;
  });
  afterAll(async () => {
    await server?.close();
  });
  return {
    get server(): TestServer {
      return server;
    },
    async start(opts: Parameters<typeof waitingLensSession>[1]): Promise<LensSetup> {
      setup = await waitingLensSession(server, opts);
      return setup;
    },
  };
}

export interface RecordingEntry {
  session: string;
  path: string;
  bytes: number;
  durationMs: number | null;
}

/** The finished recording of a session, once the daemon has finalised it (its manifest exists). */
export async function finishedRecording(home: string, session: string, timeoutMs = 30_000): Promise<RecordingEntry> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const list = (await rescue(home, ["recordings", "list", "--json"])).json<RecordingEntry[]>();
    const found = list.find((r) => r.session === session && r.durationMs !== null);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no finished recording for ${session}: ${JSON.stringify(list)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Polls `session stats` until `ok` holds (media takes a moment to flow, longer on a busy machine). */
export async function statsWhen(home: string, session: string, ok: (s: SessionStats) => boolean, timeoutMs = 30_000): Promise<SessionStats> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stats = SessionStats.parse((await rescue(home, ["session", "stats", session, "--json"])).json());
    if (ok(stats)) return stats;
    if (Date.now() > deadline) throw new Error(`stats of ${session} never matched: ${JSON.stringify(stats)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Opus packets of the technician's voice the simulated customer has heard so far: it saves each one
 * as it arrives to its `--record-voice` file (a page per packet), so the count moves while it runs.
 */
export function heardPackets(recordVoicePath: string): number {
  if (!existsSync(recordVoicePath)) return 0;
  return new OggOpusStreamReader().push(readFileSync(recordVoicePath)).length;
}

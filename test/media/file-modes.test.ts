import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StartResponse } from "../../src/protocol/index.js";
import { BUILD_TIMEOUT_MS, buildDist } from "../helpers/build.js";
import { cliLogin, dropHome, makeHome, rescue } from "../helpers/cli.js";
import { finishedRecording, simulateCustomer, statsWhen } from "../helpers/lens.js";
import { startTestServer, type Account, type TestServer } from "../helpers/server.js";

const mode = (p: string) => statSync(p).mode & 0o777;

async function until(ok: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Another user of the machine looks for customer video: folders left open by an earlier setup,
 * files that existed with 0644 before the daemon wrote over them.
 */
describe("recordings are private files in private folders", () => {
  let server: TestServer;
  let tech: Account;
  let home: string;
  let shared: string;

  beforeAll(async () => {
    await buildDist();
    server = await startTestServer();
    tech = await server.technician(["lens", "private", "pin", "record"]);
    home = makeHome();
    shared = mkdtempSync(join(tmpdir(), "rescue-shared-"));
  }, BUILD_TIMEOUT_MS);
  afterAll(async () => {
    await dropHome(home);
    rmSync(shared, { recursive: true, force: true });
    await server.close();
  });

  /** A waiting Lens session with a simulated customer streaming for `seconds`. */
  async function waiting(seconds: number) {
    const created = await rescue(home, ["session", "new", "--lens", "--pin", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    const { id, pin } = created.json<{ id: string; pin: string }>();
    const customer = simulateCustomer(server.url, pin, ["--duration", String(seconds)]);
    expect((await rescue(home, ["session", "wait", id, "--status", "waiting", "--timeout", "15"])).code).toBe(0);
    return { id, customer };
  }

  it("tightens RESCUE_HOME and its folders, and writes over an old 0644 recording and manifest as 0600", async () => {
    for (const [dir, m] of [[home, 0o755], [join(home, "recordings"), 0o777], [join(home, "snapshots"), 0o755]] as const) {
      mkdirSync(dir, { recursive: true });
      chmodSync(dir, m);
    }
    expect((await cliLogin(home, server.url, tech.email, tech.password)).code).toBe(0);
    expect((await rescue(home, ["daemon", "start", "--json"])).code).toBe(0);
    for (const dir of [home, join(home, "recordings"), join(home, "snapshots"), join(home, "run"), join(home, "logs")]) expect(mode(dir), dir).toBe(0o700);

    // A shared folder the technician chose, holding files of an earlier run that others can read.
    chmodSync(shared, 0o755);
    const target = join(shared, "visit.webm");
    writeFileSync(target, "old", { mode: 0o644 });
    writeFileSync(join(shared, "visit.json"), "{}", { mode: 0o644 });
    chmodSync(target, 0o644);
    chmodSync(join(shared, "visit.json"), 0o644);

    const { id, customer } = await waiting(10);
    const started = await rescue(home, ["session", "start", id, "--record-path", target, "--json"]);
    expect(started.code, started.stderr).toBe(0);
    const answer = StartResponse.parse(started.json());
    expect(answer.recording).toBe(target);
    expect(answer.warnings).toEqual([expect.stringMatching(/is open to other users \(mode 0755\)/)]);
    expect(started.stderr).toMatch(/^warning: .*open to other users/m);
    await statsWhen(home, id, (st) => (st.recording?.bytes ?? 0) > 0);
    expect((await rescue(home, ["session", "end", id])).code).toBe(0);
    await customer.result.catch(() => undefined);
    await until(() => statSync(join(shared, "visit.json")).size > 2, 15_000);
    expect(mode(target)).toBe(0o600);
    expect(mode(join(shared, "visit.json"))).toBe(0o600);
    // The technician's own folder is theirs to open: warned about, not changed.
    expect(mode(shared)).toBe(0o755);
  }, 90_000);

  it("closes a recordings folder loosened while the daemon runs before it records there", async () => {
    chmodSync(join(home, "recordings"), 0o755);
    const { id, customer } = await waiting(10);
    const started = await rescue(home, ["session", "start", id, "--json"]);
    expect(started.code, started.stderr).toBe(0);
    expect(StartResponse.parse(started.json()).warnings).toBeUndefined();
    expect(mode(join(home, "recordings"))).toBe(0o700);
    await statsWhen(home, id, (st) => (st.recording?.bytes ?? 0) > 0);
    expect((await rescue(home, ["session", "end", id])).code).toBe(0);
    await customer.result.catch(() => undefined);
    const recording = await finishedRecording(home, id, 15_000);
    expect(mode(recording.path)).toBe(0o600);
    expect(existsSync(recording.path.replace(/\.(webm|mkv)$/, ".json"))).toBe(true);
    expect(mode(recording.path.replace(/\.(webm|mkv)$/, ".json"))).toBe(0o600);
  }, 90_000);
});

import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StartResponse } from "../../src/protocol/index.js";
import { buildDist } from "../helpers/build.js";
import { cliLogin, dropHome, makeHome, rescue } from "../helpers/cli.js";
import { simulateCustomer, statsWhen } from "../helpers/lens.js";
import { eventually } from "../helpers/processes.js";
import { startTestServer, type Account, type TestServer } from "../helpers/server.js";

const mode = (p: string) => statSync(p).mode & 0o777;

/** Recordings made with `session start --record-path`, outside the recordings folder. */
describe("rescue recordings show|open|delete with --record-path recordings", () => {
  let server: TestServer;
  let tech: Account;
  let home: string;
  let cases: string;
  let bin: string;

  beforeAll(async () => {
    await buildDist();
    server = await startTestServer();
    tech = await server.technician(["lens", "private", "pin", "record"]);
    home = makeHome();
    cases = mkdtempSync(join(tmpdir(), "rescue-cases-"));
    expect((await cliLogin(home, server.url, tech.email, tech.password)).code).toBe(0);
    expect((await rescue(home, ["daemon", "start", "--json"])).code).toBe(0);
    bin = mkdtempSync(join(tmpdir(), "rescue-player-"));
    symlinkSync(execFileSync("sh", ["-c", "command -v ffplay"], { encoding: "utf8" }).trim(), join(bin, "ffplay"));
  }, 120_000);
  afterAll(async () => {
    await dropHome(home);
    rmSync(cases, { recursive: true, force: true });
    rmSync(bin, { recursive: true, force: true });
    await server.close();
  });

  /** A Lens session recorded to `target` for a few seconds of the simulated customer, then ended; its id. */
  async function recordedTo(target: string): Promise<string> {
    const created = await rescue(home, ["session", "new", "--lens", "--pin", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    const { id, pin } = created.json<{ id: string; pin: string }>();
    const customer = simulateCustomer(server.url, pin, ["--duration", "20"]);
    expect((await rescue(home, ["session", "wait", id, "--status", "waiting", "--timeout", "30"])).code).toBe(0);
    const started = await rescue(home, ["session", "start", id, "--record-path", target, "--json"]);
    expect(started.code, started.stderr).toBe(0);
    expect(StartResponse.parse(started.json()).recording).toBe(target);
    // About a second of what arrived, judged by the recording's own growth rather than the clock.
    const first = await statsWhen(home, id, (st) => (st.recording?.bytes ?? 0) > 0, 30_000);
    await statsWhen(home, id, (st) => st.video.frames >= first.video.frames + 10, 30_000);
    expect((await rescue(home, ["session", "end", id])).code).toBe(0);
    await customer.result.catch(() => undefined);
    const manifest = target.replace(/\.webm$/, ".json");
    expect(await eventually(() => existsSync(manifest) && statSync(manifest).size > 2, 30_000)).toBe(true);
    return id;
  }

  let id: string;
  let target: string;

  it("show finds the recording by session id and by its path, after a daemon restart too", async () => {
    target = join(cases, "visit.webm");
    id = await recordedTo(target);
    const bySession = await rescue(home, ["recordings", "show", id, "--json"]);
    expect(bySession.code, bySession.stderr).toBe(0);
    const [segment] = bySession.json<Array<{ path: string; session: string; live: boolean; manifest: { file: string; session: string } | null; bytes: number }>>();
    expect(segment).toMatchObject({ path: target, session: id, live: false });
    expect(segment!.manifest).toMatchObject({ file: "visit.webm", session: id });
    expect(segment!.bytes).toBe(readFileSync(target).length);
    expect(mode(target)).toBe(0o600);

    // The places survive the daemon: a new one finds the recording by the session id alone.
    expect((await rescue(home, ["daemon", "stop"])).code).toBe(0);
    expect((await rescue(home, ["daemon", "start", "--json"])).code).toBe(0);
    expect(mode(join(home, "recording-places.json"))).toBe(0o600);
    const byPath = await rescue(home, ["recordings", "show", target]);
    expect(byPath.code, byPath.stderr).toBe(0);
    expect(byPath.stdout).toContain(`session\t${id}`);
    expect(byPath.stdout).toContain(`path\t${target}`);
    const byManifest = await rescue(home, ["recordings", "show", target.replace(/\.webm$/, ".json"), "--json"]);
    expect(byManifest.code, byManifest.stderr).toBe(0);
    expect(byManifest.json<Array<{ path: string }>>().map((s) => s.path)).toEqual([target]);
    const list = await rescue(home, ["recordings", "list", "--json"]);
    expect(list.json<Array<{ session: string; path: string }>>()).toContainEqual(expect.objectContaining({ session: id, path: target }));
  }, 180_000);

  it("open plays it with the desktop player", async () => {
    const env = { PATH: bin, DISPLAY: ":99", SDL_VIDEODRIVER: "dummy", SDL_AUDIODRIVER: "dummy" };
    const r = await rescue(home, ["recordings", "open", id, "--json"], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json<{ played: string[] }>().played).toEqual([target]);
  }, 60_000);

  it("attack: delete refuses a file beside it that the daemon did not record, and a recording swapped for a symlink", async () => {
    // A file of the technician's in the same folder, named like a recording.
    const bystander = join(cases, "notes.webm");
    writeFileSync(bystander, "mine", { mode: 0o600 });
    const other = await rescue(home, ["recordings", "delete", bystander, "--yes"]);
    expect(other.code).toBe(5);
    expect(other.stderr).toMatch(/nor a recording this daemon made/);
    expect(readFileSync(bystander, "utf8")).toBe("mine");

    // Another session's id never reaches this recording.
    const wrongSession = await rescue(home, ["recordings", "delete", "zzzzzzzzzzzzzz", "--yes"]);
    expect(wrongSession.code).toBe(6);
    expect(existsSync(target)).toBe(true);

    // The recording's place now holds a symlink to something precious: neither its path nor its session deletes through it.
    const outside = mkdtempSync(join(tmpdir(), "rescue-victim-"));
    try {
      const precious = join(outside, "precious.webm");
      writeFileSync(precious, "keep me");
      const saved = join(cases, "saved.bin");
      renameSync(target, saved);
      symlinkSync(precious, target);
      const byPath = await rescue(home, ["recordings", "delete", target, "--yes"]);
      expect(byPath.code).toBe(5);
      const bySession = await rescue(home, ["recordings", "delete", id, "--yes"]);
      expect(bySession.code).toBe(5);
      expect(bySession.stderr).toMatch(/not a plain file/);
      expect(readFileSync(precious, "utf8")).toBe("keep me");
      rmSync(target);
      renameSync(saved, target);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it("delete --yes removes the recording with its manifest, and only for its session", async () => {
    const companions = [".json", ".vtt"].map((ext) => target.replace(/\.webm$/, ext)).filter((p) => existsSync(p));
    expect(companions).toContain(target.replace(/\.webm$/, ".json"));
    const r = await rescue(home, ["recordings", "delete", id, "--yes", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json<{ deleted: string[] }>().deleted.sort()).toEqual([target, ...companions].sort());
    for (const p of companions) expect(existsSync(p)).toBe(false);
    expect(existsSync(target)).toBe(false);
    expect(existsSync(join(cases, "notes.webm"))).toBe(true);
    const again = await rescue(home, ["recordings", "show", id]);
    expect(again.code).toBe(6);
    // The place is forgotten: a new file there is not the daemon's to delete.
    writeFileSync(target, "new file", { mode: 0o600 });
    const reused = await rescue(home, ["recordings", "delete", target, "--yes"]);
    expect(reused.code).toBe(5);
    expect(readFileSync(target, "utf8")).toBe("new file");
  });
});

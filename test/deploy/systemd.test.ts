import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const UNITS = join(ROOT, "deploy/systemd");
let tmp: string;

/**
 * `systemd-analyze verify` of a unit file. It checks that ExecStart's program exists, so the
 * installed paths (/usr/bin/...) are pointed at this checkout's bin/ in a copy; nothing else changes.
 */
function verify(unit: string, text: string, user: boolean): { status: number | null; stderr: string } {
  const dir = mkdtempSync(join(tmp, "unit-"));
  const file = join(dir, unit);
  writeFileSync(file, text.replaceAll("/usr/bin/rescue-server ", `${ROOT}/bin/rescue-server.js `).replaceAll("/usr/bin/rescued ", `${ROOT}/bin/rescued.js `));
  const runtime = join(tmp, "xdg-runtime");
  mkdirSync(runtime, { recursive: true, mode: 0o700 });
  const r = spawnSync("systemd-analyze", ["verify", ...(user ? ["--user"] : []), "--man=no", file], {
    encoding: "utf8",
    env: { ...process.env, XDG_RUNTIME_DIR: runtime, SYSTEMD_LOG_COLOR: "0" },
  });
  return { status: r.status, stderr: r.stderr };
}

/** The unit's settings as key -> values (a key may repeat); continuation lines joined. */
function settings(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.replace(/\\\n\s*/g, " ").split("\n")) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!]);
  }
  return out;
}

const available = spawnSync("systemd-analyze", ["--version"]).status === 0;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "rescue-units-"));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!available)("deploy/systemd", () => {
  it("rescue-server.service passes systemd-analyze verify without a warning, sandboxed, reloading on SIGHUP", () => {
    const text = readFileSync(join(UNITS, "rescue-server.service"), "utf8");
    const result = verify("rescue-server.service", text, false);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const s = settings(text);
    for (const [key, value] of [
      ["User", "rescue"],
      ["StateDirectory", "rescue"],
      ["StateDirectoryMode", "0700"],
      ["UMask", "0077"],
      ["ProtectSystem", "strict"],
      ["ProtectHome", "yes"],
      ["NoNewPrivileges", "yes"],
      ["PrivateTmp", "yes"],
      ["CapabilityBoundingSet", ""],
      ["ExecReload", "/bin/kill -HUP $MAINPID"],
    ]) expect(s.get(key!), key).toEqual([value]);
  });

  it("the ExecStart of rescue-server.service uses only flags `start` has, with the data folder it may write", () => {
    const s = settings(readFileSync(join(UNITS, "rescue-server.service"), "utf8"));
    const exec = s.get("ExecStart")![0]!;
    const help = spawnSync(process.execPath, [join(ROOT, "bin/rescue-server.js"), "start", "--help"], { encoding: "utf8" });
    expect(help.status).toBe(0);
    const flags = [...exec.matchAll(/(--[a-z-]+)/g)].map((m) => m[1]!);
    expect(flags.length).toBeGreaterThan(5);
    for (const flag of flags) expect(help.stdout, flag).toContain(`${flag} `);
    expect(exec).toContain("--data /var/lib/rescue");
  }, 60_000);

  it("rescued.service passes systemd-analyze verify --user and runs the daemon in the foreground", () => {
    const text = readFileSync(join(UNITS, "rescued.service"), "utf8");
    const result = verify("rescued.service", text, true);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(settings(text).get("ExecStart")).toEqual(["/usr/bin/rescued --foreground"]);
  });

  it("the check is real: a misspelt setting and a missing program are reported", () => {
    const text = readFileSync(join(UNITS, "rescue-server.service"), "utf8");
    expect(verify("bad.service", text.replace("ProtectSystem=strict", "ProtectSystm=strict"), false).stderr).toMatch(/Unknown key|Unknown lvalue/);
    const missing = verify("missing.service", text.replace("/usr/bin/rescue-server start", "/usr/bin/no-such-rescue-server start"), false);
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toMatch(/not executable|No such file/);
  });
});

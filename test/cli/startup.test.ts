import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { dropHome, makeHome } from "../helpers/cli.js";

const ROOT = join(import.meta.dirname, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "rescue-trace-"));
let n = 0;

/** Runs bin/rescue.js and returns the modules it loaded. */
function modulesOf(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; modules: string[] }> {
  const trace = join(dir, `trace-${++n}.txt`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", join(ROOT, "test", "helpers", "module-trace.mjs"), join(ROOT, "bin", "rescue.js"), ...args], {
      env: { ...process.env, ...env, MODULE_TRACE_FILE: trace },
      stdio: "ignore",
    });
    child.on("exit", (code) => {
      let text = "";
      try {
        text = readFileSync(trace, "utf8");
      } catch {
        // Nothing resolved.
      }
      resolve({ code, modules: text.split("\n").filter(Boolean) });
    });
  });
}

describe("CLI startup stays light", () => {
  const home = makeHome();
  afterAll(async () => {
    await dropHome(home);
    rmSync(dir, { recursive: true, force: true });
  });

  it("rescue --version loads neither commander, zod nor the daemon client", async () => {
    const { code, modules } = await modulesOf(["--version"]);
    expect(code).toBe(0);
    expect(modules.some((m) => m.endsWith("/dist/src/cli/main.js"))).toBe(true);
    expect(modules.filter((m) => /commander|zod|daemon\/client|undici|conf/.test(m))).toEqual([]);
  });

  it("a daemon command loads no Ink, React or werift", async () => {
    const { code, modules } = await modulesOf(["session", "list", "--json"], { RESCUE_HOME: home, RESCUE_NO_AUTOSTART: "1" });
    expect(code).toBe(3);
    expect(modules.some((m) => m.includes("/dist/src/cli/daemon/client.js"))).toBe(true);
    expect(modules.filter((m) => /\/(ink|react|werift|conf)\//.test(m))).toEqual([]);
    expect(modules.filter((m) => /commands\/(admin|daemon|recordings)\//.test(m))).toEqual([]);
    // Only the schemas its answer needs, and no other top-level verb.
    expect(modules.filter((m) => /protocol\/(api|localapi|integration|technician-ws|customer-ws|index)\.js$/.test(m))).toEqual([]);
    expect(modules.some((m) => m.endsWith("/dist/src/protocol/session.js"))).toBe(true);
    expect(modules.filter((m) => /commands\/(login|logout|whoami|chat|console)\.js$/.test(m))).toEqual([]);
  });
});

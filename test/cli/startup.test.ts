import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { dropHome, makeHome } from "../helpers/cli.js";

const ROOT = join(import.meta.dirname, "..", "..");
const BUNDLE = join(ROOT, "dist", "cli");
const dir = mkdtempSync(join(tmpdir(), "rescue-trace-"));
let n = 0;

const mtime = (path: string) => statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? -1;
/** What bin/rescue.js runs: the bundle once `npm run build` (or `npm test`) made it, after tsc the tsc output. */
const bundled = mtime(join(BUNDLE, "main.js")) >= mtime(join(ROOT, "dist", "src", "cli", "main.js"));

interface Metafile {
  outputs: Record<string, { inputs: Record<string, unknown> }>;
}

/**
 * The source modules behind the loaded files: a bundle file holds several (the build's metafile
 * says which); a tsc output file is one. Paths are project-relative, without extension.
 */
function sourcesOf(urls: string[]): string[] {
  const sources = new Set<string>();
  const meta = bundled ? (JSON.parse(readFileSync(join(BUNDLE, "metafile.json"), "utf8")) as Metafile) : undefined;
  for (const url of urls) {
    if (!url.startsWith("file:")) continue;
    const file = fileURLToPath(url);
    if (file.startsWith(BUNDLE)) {
      const inputs = meta?.outputs[file.slice(ROOT.length + 1)]?.inputs ?? {};
      for (const input of Object.keys(inputs)) sources.add(input.replace(/\.[cm]?[jt]sx?$/, ""));
    } else {
      sources.add(file.slice(ROOT.length + 1).replace(/^dist\//, "").replace(/\.[cm]?js$/, ""));
    }
  }
  return [...sources];
}

/** Runs bin/rescue.js and returns the files it loaded and the source modules behind them. */
function modulesOf(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; files: string[]; sources: string[] }> {
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
      const files = [...new Set(text.split("\n").filter((u) => u.startsWith("file:")))];
      resolve({ code, files, sources: sourcesOf(files) });
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
    const { code, files, sources } = await modulesOf(["--version"]);
    expect(code).toBe(0);
    expect(sources).toContain("src/cli/main");
    expect(files.some((f) => f.endsWith(bundled ? "/dist/cli/main.js" : "/dist/src/cli/main.js"))).toBe(true);
    expect(sources.filter((m) => /commander|zod|daemon\/client|undici|conf/.test(m))).toEqual([]);
  });

  it("a daemon command loads no Ink, React or werift", async () => {
    const { code, sources } = await modulesOf(["session", "list", "--json"], { RESCUE_HOME: home, RESCUE_NO_AUTOSTART: "1" });
    expect(code).toBe(3);
    expect(sources).toContain("src/cli/daemon/client");
    expect(sources.filter((m) => /\/(ink|react|werift|conf)\//.test(m))).toEqual([]);
    expect(sources.filter((m) => /commands\/(admin|daemon|recordings)\//.test(m))).toEqual([]);
    // Only the schemas its answer needs, and no other top-level verb.
    expect(sources.filter((m) => /protocol\/(api|localapi|integration|technician-ws|customer-ws|index)$/.test(m))).toEqual([]);
    expect(sources).toContain("src/protocol/session");
    expect(sources.filter((m) => /commands\/(login|logout|whoami|chat|console)$/.test(m))).toEqual([]);
  });

  it.runIf(bundled)("the bundle answers a daemon command from a handful of files, with zod's English messages only", async () => {
    const { code, files, sources } = await modulesOf(["session", "list", "--json"], { RESCUE_HOME: home, RESCUE_NO_AUTOSTART: "1" });
    expect(code).toBe(3);
    expect(files.filter((f) => !f.includes("/dist/cli/") && !/\/bin\/(rescue|load)\.js$/.test(f))).toEqual([]);
    // The same bound as before the shims gained bin/load.js: at most 18 files of the bundle.
    expect(files.filter((f) => f.includes("/dist/cli/")).length).toBeLessThan(19);
    expect(sources.filter((m) => m.startsWith("node_modules/zod/"))).not.toEqual([]);
    expect(sources.filter((m) => m.startsWith("node_modules/zod/v4/locales/"))).toEqual(["node_modules/zod/v4/locales/en"]);
  });
});

import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const BIN = resolve(import.meta.dirname, "../../bin");
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A copy of bin/ in a fresh folder: a clone whose dist/ (and node_modules) are whatever `dist` puts there. */
function clone(dist: Record<string, string> = {}): string {
  const root = mkdtempSync(join(tmpdir(), "rescue-shims-"));
  dirs.push(root);
  cpSync(BIN, join(root, "bin"), { recursive: true });
  for (const [path, text] of Object.entries(dist)) {
    mkdirSync(join(root, "dist", path, ".."), { recursive: true });
    writeFileSync(join(root, "dist", path), text);
  }
  return root;
}

function run(root: string, bin: string, args: string[]) {
  const r = spawnSync(process.execPath, [join(root, "bin", bin), ...args], { encoding: "utf8", timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("bin/ shims in a clone", () => {
  it.each([
    ["rescue.js", "rescue", ["session", "list"], "dist/cli/main.js"],
    ["rescued.js", "rescued", ["--foreground"], "dist/rescued/main.js"],
    ["rescue-server.js", "rescue-server", ["start", "--data", "x"], "dist/src/server/early-sighup.js"],
  ])("%s without dist/ says in one line to run npm install, exit 1", (bin, name, args, first) => {
    const root = clone();
    const r = run(root, bin, args);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(`${name}: ${first} is missing: dist/ is not built; run \`npm install\` (or \`npm run build\`) in ${root}\n`);
    expect(r.stderr).not.toContain("ERR_MODULE_NOT_FOUND");
  });

  it("a dist/ that imports a package node_modules lacks says which one, in one line", () => {
    const root = clone({ "rescued/main.js": 'import "rescue-no-such-package";\nexport async function main() { return 0; }\n' });
    const r = run(root, "rescued.js", []);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`rescued: cannot load rescue-no-such-package: a dependency is not installed; run \`npm install\` (or \`npm run build\`) in ${root}\n`);
  });

  it("other failures while loading are not hidden behind that message", () => {
    const root = clone({ "src/cli/main.js": 'throw new Error("broken build");\n' });
    const r = run(root, "rescue.js", ["version"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("broken build");
    expect(r.stderr).not.toContain("npm install");
  });

  it("a built dist/ runs as before", () => {
    const root = clone({
      "src/server/early-sighup.js": "export function holdSighup() {}\n",
      "src/server/cli.js": 'export async function main(argv) { process.stdout.write(`ran ${argv.slice(2).join(" ")}\\n`); return 3; }\n',
    });
    const r = run(root, "rescue-server.js", ["outbox", "--json"]);
    expect(r.stdout).toBe("ran outbox --json\n");
    expect(r.code).toBe(3);
    expect(r.stderr).toBe("");
  });
});

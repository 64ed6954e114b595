import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildDist } from "../helpers/build.js";
import { dropHome, makeHome, rescue, spawnRescue } from "../helpers/cli.js";

const { version } = JSON.parse(readFileSync(join(import.meta.dirname, "..", "..", "package.json"), "utf8")) as { version: string };
const home = makeHome();
afterAll(() => dropHome(home));

describe("--jq EXPR on commands with --json", () => {
  it("filters the JSON and prints strings raw, without --json", async () => {
    const r = await rescue(home, ["version", "--jq", ".version"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${version}\n`);
    const obj = await rescue(home, ["version", "--jq", "{v: .version, n: (.node | startswith(\"v\"))}"]);
    expect(obj.json()).toEqual({ v: version, n: true });
    expect(obj.stdout.trim().split("\n")).toHaveLength(1); // piped: compact
    const tty = await rescue(home, ["version", "--jq", "{v: .version}"], { tty: true });
    expect(tty.stdout).toBe(`{\n  "v": "${version}"\n}\n`);
  });

  it("goes through the daemon's answers too, one output per line", async () => {
    const dir = join(home, "recordings");
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const [id, bytes] of [["k7m2qd9xw4hbte", 10], ["p3n8rt5vy2kcxa", 20]] as const) {
      const base = `${id}-2026-11-30T07-12-00-000Z`;
      writeFileSync(join(dir, `${base}.webm`), Buffer.alloc(bytes));
      const then = new Date(Date.now() - 60_000);
      utimesSync(join(dir, `${base}.webm`), then, then);
    }
    const r = await rescue(home, ["recordings", "list", "--jq", ".[] | select(.bytes > 15) | .session"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("p3n8rt5vy2kcxa\n");
    const n = await rescue(home, ["recordings", "list", "--jq", "length"]);
    expect(n.stdout).toBe("2\n");
  }, 60_000);

  it("a bad expression is a usage error (exit 2) with jq's message and the hint; a failing one exits 1", async () => {
    const bad = await rescue(home, ["version", "--jq", ".version | foo("]);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe("");
    expect(bad.stderr).toMatch(/^rescue: --jq: jq: error: syntax error/);
    expect(bad.stderr).toContain("(rescue version --help for usage)");
    const failing = await rescue(home, ["version", "--jq", 'error("no such field")']);
    expect(failing.code).toBe(1);
    expect(failing.stderr).toMatch(/--jq: .*no such field/);
  });

  it("a bad expression is refused before the command does anything: no daemon started, no session asked for", async () => {
    const fresh = makeHome();
    try {
      const r = await rescue(fresh, ["session", "new", "--lens", "--pin", "--jq", ".id | foo("]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/^rescue: --jq: jq: error/);
      // The old order ran the command first: it started the profile's daemon to ask for a session.
      expect(existsSync(join(fresh, "run", "rescued.pid"))).toBe(false);
    } finally {
      await dropHome(fresh);
    }
  });

  it("an expression that fails at run time says `rescue: --jq: <jq's message>` on one line and exits 1, also after some outputs", async () => {
    const cases: [string, string][] = [
      ['error("no such field")', "jq: error: no such field"],
      [".version | .a.b", 'jq: error: Cannot index string with string "a"'],
      ["error(null)", "jq: error (not a string): null"],
      ['"" | halt_error', "jq stopped with exit status 5 and no message (halt_error)"],
    ];
    for (const [expr, says] of cases) {
      const r = await rescue(home, ["version", "--jq", expr]);
      expect(r.code, expr).toBe(1);
      expect(r.stdout, expr).toBe("");
      expect(r.stderr, expr).toBe(`rescue: --jq: ${says}\n`);
    }
    // jq prints the outputs before the error, then fails: the error is not lost behind them.
    const after = await rescue(home, ["version", "--jq", ".version, (.version | .a.b), .node"]);
    expect(after.code).toBe(1);
    expect(after.stdout).toBe(`${version}\n`);
    expect(after.stderr).toBe('rescue: --jq: jq: error: Cannot index string with string "a"\n');
  });

  it("`break` alone is a usage error that names every compile error jq found, on one line", async () => {
    const r = await rescue(home, ["version", "--jq", "break"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    const [line, hint, ...rest] = r.stderr.split("\n");
    expect(line).toMatch(/^rescue: --jq: jq: error: syntax error, .* at <top-level>, line 1; jq: error: break requires a label to break to at <top-level>, line 1$/);
    expect(hint).toBe("(rescue version --help for usage)");
    expect(rest.join("")).toBe("");
  });

  it("runaway recursion aborts jq's WebAssembly: one `rescue: --jq:` line, no bare runtime message, exit 1", async () => {
    await buildDist();
    const r = await spawnRescue(home, ["version", "--jq", "def f: 1 + f; f"]).done;
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("rescue: --jq: jq aborted: the expression ran out of stack or memory\n");
  }, 600_000);

  it("is offered where --json is, and only there", async () => {
    const help = await rescue(home, ["session", "list", "--help"]);
    expect(help.stdout).toContain("--jq <expr>");
    const noJson = await rescue(home, ["completion", "bash", "--jq", "."]);
    expect(noJson.code).toBe(2);
    expect(noJson.stderr).toMatch(/unknown option '--jq'/);
  });
});

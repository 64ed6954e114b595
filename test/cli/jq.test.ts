import { mkdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { dropHome, makeHome, rescue } from "../helpers/cli.js";

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

  it("is offered where --json is, and only there", async () => {
    const help = await rescue(home, ["session", "list", "--help"]);
    expect(help.stdout).toContain("--jq <expr>");
    const noJson = await rescue(home, ["completion", "bash", "--jq", "."]);
    expect(noJson.code).toBe(2);
    expect(noJson.stderr).toMatch(/unknown option '--jq'/);
  });
});

import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDist } from "../helpers/build.js";
import { dropHome, makeHome, rescue } from "../helpers/cli.js";

const ROOT = join(import.meta.dirname, "..", "..");
const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
const home = makeHome();
// A PATH with `rescue` on it, as an installed tool has: the scripts call it back.
const bin = mkdtempSync(join(tmpdir(), "rescue-bin-"));
symlinkSync(join(ROOT, "bin", "rescue.js"), join(bin, "rescue"));
const hasBash = spawnSync("bash", ["--version"]).status === 0;

beforeAll(() => buildDist(), 180_000);
afterAll(async () => {
  await dropHome(home);
  rmSync(bin, { recursive: true, force: true });
});

/** What bash offers for the last of `words`, the one being completed ("" for a new word). */
function bashComplete(...words: string[]): string[] {
  const line = words.map((w) => `'${w}'`).join(" ");
  const script = execFileSync(process.execPath, [join(ROOT, "bin", "rescue.js"), "completion", "bash"], { encoding: "utf8" });
  const out = execFileSync(
    "bash",
    ["-c", `${script}\nCOMP_WORDS=(${line}); COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 )); _rescue_complete; printf '%s\\n' "\${COMPREPLY[@]}"`],
    { encoding: "utf8", env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, RESCUE_HOME: home } },
  );
  return out.split("\n").filter(Boolean).sort();
}

describe("rescue version and rescue completion", () => {
  it("prints the version as a verb, as JSON, and still as --version", async () => {
    const plain = await rescue(home, ["version"]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toBe(`${version}\n`);
    const json = await rescue(home, ["version", "--json"]);
    expect(json.json()).toEqual({ version, node: process.version });
    expect((await rescue(home, ["--version"])).stdout).toBe(`${version}\n`);
  });

  it("prints a script for bash, zsh and fish, and refuses another shell with exit 2", async () => {
    for (const shell of ["bash", "zsh", "fish"]) {
      const r = await rescue(home, ["completion", shell]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain("rescue __complete");
    }
    const bad = await rescue(home, ["completion", "tcsh"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("completion tcsh: one of bash, zsh, fish");
  });

  it.skipIf(!hasBash)("completes groups, verbs and flags in bash", () => {
    expect(bashComplete("rescue", "ses")).toEqual(["session"]);
    expect(bashComplete("rescue", "session", "")).toEqual(expect.arrayContaining(["new", "wait", "end", "--help"]));
    expect(bashComplete("rescue", "session", "new", "--l")).toEqual(["--lang", "--language", "--lens", "--link"]);
    expect(bashComplete("rescue", "completion", "")).toEqual(["bash", "fish", "zsh"]);
    expect(bashComplete("rescue", "__")).toEqual([]);
  }, 60_000);
});

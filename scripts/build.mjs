#!/usr/bin/env node
// The project's build: tsc into dist/, then the CLI bundle (scripts/bundle-cli.mjs) and the daemon
// bundle (scripts/bundle-daemon.mjs, dist/rescued/, what bin/rescued.js runs). It records
// which sources it built from in dist/.build-inputs, so that tests (test/helpers/build.ts) can
// tell a current dist/ from a stale one without compiling again: on a busy two-core machine a
// full tsc run takes a minute or more, and every suite that spawns bin/ used to pay it.
//
//   node scripts/build.mjs                      fails (exit 1) on type errors, as `tsc` does
//   node scripts/build.mjs --allow-type-errors  emits and bundles anyway (tsc emits despite them)
//   node scripts/build.mjs --check              exit 0 when dist/ was built from the sources as they are, 1 otherwise
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const STAMP = join(ROOT, "dist", ".build-inputs");
/** What dist/ is made of: the compiled trees and whatever decides how they are compiled and bundled. */
const TREES = ["src", "daemon", "patches"];
const FILES = ["tsconfig.json", "package-lock.json", "scripts/bundle-cli.mjs", "scripts/bundle-daemon.mjs", "scripts/bundle-plugins.mjs", "scripts/build.mjs"];

function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile()) yield path;
  }
}

/** A digest of every input's path, size and modification time (content reads would cost more than they tell). */
export function inputsDigest() {
  const files = [...TREES.flatMap((t) => [...walk(join(ROOT, t))]), ...FILES.map((f) => join(ROOT, f)).filter((f) => existsSync(f))];
  const lines = files.map((f) => {
    const s = statSync(f);
    return `${relative(ROOT, f)}\t${s.size}\t${s.mtimeMs}`;
  });
  return createHash("sha256").update(lines.sort().join("\n")).digest("hex");
}

export function isCurrent() {
  return existsSync(STAMP) && existsSync(join(ROOT, "dist", "cli", "main.js")) && existsSync(join(ROOT, "dist", "rescued", "main.js")) && readFileSync(STAMP, "utf8").trim() === inputsDigest();
}

function run(args) {
  return spawnSync(process.execPath, args, { cwd: ROOT, stdio: "inherit" }).status ?? 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  if (args.includes("--check")) process.exit(isCurrent() ? 0 : 1);
  // Taken before compiling: a source saved during the build makes the stamp stale, not falsely current.
  const digest = inputsDigest();
  const tsc = run([join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", join(ROOT, "tsconfig.json")]);
  if (tsc !== 0 && !args.includes("--allow-type-errors")) process.exit(tsc);
  if (!existsSync(join(ROOT, "dist", "daemon", "session", "peer.js"))) {
    process.stderr.write("build: tsc wrote no dist/\n");
    process.exit(1);
  }
  const bundle = run([join(ROOT, "scripts", "bundle-cli.mjs")]);
  if (bundle !== 0) process.exit(bundle);
  const daemonBundle = run([join(ROOT, "scripts", "bundle-daemon.mjs")]);
  if (daemonBundle !== 0) process.exit(daemonBundle);
  // tsc emits despite type errors: dist/ holds these sources either way.
  writeFileSync(STAMP, `${digest}\n`);
  process.exit(args.includes("--allow-type-errors") ? 0 : tsc);
}

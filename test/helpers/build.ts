import { execFile } from "node:child_process";
import { mkdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

const root = join(import.meta.dirname, "..", "..");
const run = promisify(execFile);
const BUILD = join(root, "scripts", "build.mjs");
const LOCK = join(root, "dist", ".build-lock");
/** A lock older than this belongs to a build that died (a whole build takes a minute or two here). */
const STALE_LOCK_MS = 10 * 60_000;

async function current(): Promise<boolean> {
  return run(process.execPath, [BUILD, "--check"]).then(
    () => true,
    () => false,
  );
}

/** One build at a time across test files and workers (mkdir is atomic); stale locks are broken. */
async function withBuildLock<T>(fn: () => Promise<T>): Promise<T> {
  mkdirSync(join(root, "dist"), { recursive: true });
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      try {
        if (Date.now() - statSync(LOCK).mtimeMs > STALE_LOCK_MS) rmSync(LOCK, { recursive: true, force: true });
      } catch {
        // Released meanwhile.
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/**
 * The hook timeout for a hook that builds: a whole build takes a minute or more on a busy two-core
 * machine (when dist/ is current it takes a moment).
 */
export const BUILD_TIMEOUT_MS = 600_000;

/**
 * Child-process fixtures run the compiled tree: the project's whole build (scripts/build.mjs: tsc
 * and then the CLI bundle; a bare tsc would leave the bundle older than its sources). A dist/ built
 * from the sources as they are (`npm run pretest`, or an earlier test file) is used as it is, so
 * suites do not each spend a minute compiling on a busy machine. Type errors do not block the build.
 */
export async function buildDist(): Promise<void> {
  if (await current()) return;
  await withBuildLock(async () => {
    // Another file's build may have finished while this one waited for the lock.
    if (await current()) return;
    await run(process.execPath, [BUILD, "--allow-type-errors"], { cwd: root, maxBuffer: 64 * 1024 * 1024 });
  });
}

import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

const root = join(import.meta.dirname, "..", "..");
const run = promisify(execFile);

/**
 * Child-process fixtures run the compiled tree: the project's whole build, tsc and then the CLI
 * bundle (a bare tsc would leave the bundle older than its sources, and bin/rescue.js would run
 * the slower unbundled code). Type errors elsewhere do not block tsc's output.
 */
export async function buildDist(): Promise<void> {
  await run(join(root, "node_modules", ".bin", "tsc"), ["-p", join(root, "tsconfig.json")]).catch(() => undefined);
  if (!existsSync(join(root, "dist", "daemon", "session", "peer.js"))) throw new Error("dist/ was not built");
  await run(process.execPath, [join(root, "scripts", "bundle-cli.mjs")], { cwd: root });
}

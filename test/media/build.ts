import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

const root = join(import.meta.dirname, "..", "..");

/** Child-process fixtures run the compiled daemon: compile first (type errors elsewhere do not block emit). */
export async function buildDist(): Promise<void> {
  await promisify(execFile)(join(root, "node_modules", ".bin", "tsc"), ["-p", join(root, "tsconfig.json")]).catch(
    () => undefined,
  );
  if (!existsSync(join(root, "dist", "daemon", "session", "peer.js"))) throw new Error("dist/ was not built");
}

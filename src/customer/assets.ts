import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Folder of the bundled clip. tsc does not copy assets, so from dist/src/customer the files are
 * found back in the source tree; from src (tests) they sit beside this module.
 */
export function assetsDir(): string {
  const candidates = [join(here, "assets"), join(here, "..", "..", "..", "src", "customer", "assets")];
  const found = candidates.find((dir) => existsSync(join(dir, "clip.ivf")));
  if (!found) throw new Error(`bundled clip not found (looked in ${candidates.join(", ")})`);
  return found;
}

export function bundledClip(): { video: string; audio: string } {
  const dir = assetsDir();
  return { video: join(dir, "clip.ivf"), audio: join(dir, "clip.ogg") };
}

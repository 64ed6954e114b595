import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Recording } from "../../src/protocol/index.js";
import type { RecordingManifest } from "./recorder-manifest.js";

/** Finished recordings in `dir`, read from their manifests, plus the ones still being written. */
export async function listRecordings(dir: string, live: Recording[]): Promise<Recording[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return live;
    throw e;
  }
  const livePaths = new Set(live.map((r) => r.path));
  const finished: Recording[] = [];
  for (const name of names.filter((n) => n.endsWith(".json")).sort()) {
    let m: RecordingManifest;
    try {
      m = JSON.parse(await readFile(join(dir, name), "utf8")) as RecordingManifest;
    } catch {
      continue; // not a manifest of ours, or half-written by a crash
    }
    const path = join(dir, m.file);
    if (!livePaths.has(path)) finished.push({ session: m.session, path, bytes: m.bytes, durationMs: m.durationMs });
  }
  return [...finished, ...live];
}

import { lstat, readFile, realpath, unlink } from "node:fs/promises";
import { basename, dirname, extname, isAbsolute, resolve } from "node:path";
import { RecordingManifest, RescueError, type Recording, type RecordingDetail } from "../../src/protocol/index.js";
import { manifestPathFor } from "./recorder-manifest.js";
import type { RecordingPlaces } from "./recording-places.js";
import { listRecordings } from "./recordings.js";

/** What lies beside a recording and goes with it: its manifest and its timeline. */
const COMPANIONS = [".json", ".vtt"] as const;

/**
 * The recordings `ref` names, with their manifests: a session id (all its segments, in recording
 * order), or the absolute path (or bare file name) of a recording, its manifest or its timeline in
 * the recordings folder `dir` or at a place the daemon recorded to for a session (`places`:
 * `session start --record-path`). Throws not_found when none matches, forbidden for a path
 * outside `dir` that the daemon did not record (`../`, another folder, a symlink that leads out),
 * bad_request for a relative path.
 */
export async function findRecordings(dir: string, ref: string, live: Recording[], places?: RecordingPlaces): Promise<RecordingDetail[]> {
  const placed = places?.all() ?? [];
  const all = await listRecordings(dir, live, placed);
  const liveSet = new Set(live.map((r) => r.path));
  const placeSet = new Set(placed.map((p) => p.path));
  let found: Recording[];
  const elsewhere = looksLikeFile(ref) ? await placeNamed(ref, [...placeSet, ...liveSet]) : null;
  if (elsewhere) {
    found = all.filter((r) => r.path === elsewhere);
  } else if (looksLikeFile(ref)) {
    const stem = stemOf(await nameInFolder(dir, ref));
    const inDir = (r: Recording) => !placeSet.has(r.path) && stemOf(basename(r.path)) === stem;
    found = all.filter((r) => inDir(r) && !liveSet.has(r.path));
    // A live recording may be named by path too (show only: delete refuses it).
    if (found.length === 0) found = all.filter((r) => liveSet.has(r.path) && inDir(r));
  } else {
    found = all.filter((r) => r.session === ref);
  }
  if (found.length === 0) throw new RescueError("not_found", `no recording ${ref} (rescue recordings list shows them)`);
  const out: RecordingDetail[] = [];
  for (const r of found) {
    const isLive = liveSet.has(r.path);
    const isPlaced = placeSet.has(r.path);
    if (!isLive) await (isPlaced ? assertPlace(r.path) : assertPlainFileIn(dir, r.path));
    out.push({ ...r, live: isLive, manifest: isLive ? null : await readManifest(isPlaced ? dirname(r.path) : dir, r.path) });
  }
  return out;
}

/**
 * The recorded place (`candidates`: real paths the daemon recorded to) that the absolute path
 * `ref` names, as the recording, its manifest or its timeline; null when it names none of them.
 * The folder is compared by its real path, so `/x/../y/visit.webm` names `/y/visit.webm`.
 */
async function placeNamed(ref: string, candidates: string[]): Promise<string | null> {
  if (!isAbsolute(ref) || candidates.length === 0) return null;
  const abs = resolve(ref);
  const parent = await realpath(dirname(abs)).catch(() => null);
  if (!parent) return null;
  const stem = stemOf(basename(abs));
  const sameFile = (p: string) => basename(abs) === basename(p) || /\.(json|vtt)$/.test(abs);
  return candidates.find((p) => dirname(p) === parent && stemOf(basename(p)) === stem && sameFile(p)) ?? null;
}

/** Refuses a recorded place that is no longer the plain file recorded there (a symlink now, or a folder moved under it). */
async function assertPlace(path: string): Promise<void> {
  const st = await lstat(path).catch(() => null);
  if (!st) throw new RescueError("not_found", `${path} is gone`);
  if (!st.isFile()) throw new RescueError("forbidden", `${path} is not a plain file (a symlink?): not touched`);
  if ((await realpath(path)) !== path) throw new RescueError("forbidden", `${path} is no longer where the recording was made: not touched`);
}

/**
 * Deletes the recordings `ref` names (see findRecordings) with their manifests and timelines;
 * returns the paths removed. Refuses (conflict) a recording that is being written, and
 * (forbidden) anything that is not a plain file directly in `dir`.
 */
export async function deleteRecordings(dir: string, ref: string, live: Recording[], places?: RecordingPlaces): Promise<string[]> {
  const found = await findRecordings(dir, ref, live, places);
  const busy = found.find((r) => r.live);
  if (busy) throw new RescueError("conflict", `${busy.path} is being recorded now: end session ${busy.session} first`);
  const placeSet = new Set(places?.all().map((p) => p.path) ?? []);
  const removed: string[] = [];
  for (const r of found) {
    const isPlaced = placeSet.has(r.path);
    await (isPlaced ? assertPlace(r.path) : assertPlainFileIn(dir, r.path));
    await unlink(r.path);
    if (isPlaced) places!.remove(r.path);
    removed.push(r.path);
    for (const companion of COMPANIONS) {
      const path = resolve(dirname(r.path), `${stemOf(basename(r.path))}${companion}`);
      // Unlinking a symlink removes the link only, never what it points at; a folder is left alone.
      const st = await lstat(path).catch(() => null);
      if (!st || !(st.isFile() || st.isSymbolicLink())) continue;
      await unlink(path).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== "ENOENT") throw e;
      });
      removed.push(path);
    }
  }
  return removed;
}

function looksLikeFile(ref: string): boolean {
  return ref.includes("/") || /\.(webm|mkv|json|vtt)$/.test(ref);
}

function stemOf(name: string): string {
  return basename(name, extname(name));
}

/** The file name `ref` gives, once it is known to be in `dir` (compared by real paths). */
async function nameInFolder(dir: string, ref: string): Promise<string> {
  if (!ref.includes("/")) {
    if (ref === "." || ref === "..") throw new RescueError("forbidden", `${ref} is not a recording`);
    return ref;
  }
  if (!isAbsolute(ref)) throw new RescueError("bad_request", `${ref}: give an absolute path, a file name or a session id`);
  const abs = resolve(ref); // `recordings/../x.webm` is `x.webm` beside the folder, not in it
  const [parent, folder] = await Promise.all([realpath(dirname(abs)).catch(() => null), realpath(dir).catch(() => null)]);
  if (!parent || !folder || parent !== folder) throw outside(ref, dir);
  return basename(abs);
}

/** Refuses a recording that is a symlink or whose real place is not directly in `dir`. */
async function assertPlainFileIn(dir: string, path: string): Promise<void> {
  const st = await lstat(path).catch(() => null);
  if (!st) throw new RescueError("not_found", `${path} is gone`);
  if (!st.isFile()) throw new RescueError("forbidden", `${path} is not a plain file (a symlink?): not touched`);
  const [real, folder] = await Promise.all([realpath(path), realpath(dir)]);
  if (dirname(real) !== folder) throw outside(path, dir);
}

function outside(path: string, dir: string): RescueError {
  return new RescueError("forbidden", `${path} is not in the recordings folder ${dir} nor a recording this daemon made elsewhere: not touched`);
}

/** The manifest beside `path`, or null when there is none (a crash left it out), it is not a plain file or not a manifest. */
async function readManifest(dir: string, path: string): Promise<RecordingManifest | null> {
  const file = manifestPathFor(path);
  const st = await lstat(file).catch(() => null);
  if (!st?.isFile() || resolve(dirname(file)) !== resolve(dir)) return null;
  try {
    const m = RecordingManifest.safeParse(JSON.parse(await readFile(file, "utf8")));
    return m.success ? m.data : null;
  } catch {
    return null;
  }
}

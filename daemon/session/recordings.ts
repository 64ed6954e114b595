import { readdir, readFile, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import type { Recording } from "../../src/protocol/index.js";
import { manifestPathFor, type RecordingManifest } from "./recorder-manifest.js";
import type { RecordingPlace } from "./recording-places.js";

/**
 * Finished recordings in `dir`, read from their manifests, those a crash or a full disk left
 * without one (`complete: false`, no duration), the ones written elsewhere (`places`, see
 * RecordingPlaces) whose files are still there, plus the ones still being written.
 */
export async function listRecordings(dir: string, live: Recording[], places: RecordingPlace[] = []): Promise<Recording[]> {
  const livePaths = new Set(live.map((r) => r.path));
  const elsewhere = await placedRecordings(places, livePaths);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [...elsewhere, ...live];
    throw e;
  }
  const finished: Recording[] = [];
  const described = new Set<string>();
  for (const name of names.filter((n) => n.endsWith(".json")).sort()) {
    let m: RecordingManifest;
    try {
      m = JSON.parse(await readFile(join(dir, name), "utf8")) as RecordingManifest;
    } catch {
      continue; // not a manifest of ours, or half-written by a crash
    }
    // A manifest names a file beside it, never one elsewhere (`../x.webm`).
    if (typeof m.file !== "string" || m.file !== basename(m.file) || m.file.startsWith(".")) continue;
    const path = join(dir, m.file);
    described.add(m.file);
    if (!livePaths.has(path)) finished.push({ session: m.session, path, bytes: m.bytes, durationMs: m.durationMs, complete: m.complete !== false });
  }
  // A recording without a manifest stopped early (a crash, or a disk too full for the manifest):
  // it is listed as incomplete, with what its file holds.
  for (const name of names.filter((n) => /\.(webm|mkv)$/.test(n) && !described.has(n)).sort()) {
    const path = join(dir, name);
    const session = recordingName(name)?.session;
    if (!session || livePaths.has(path)) continue;
    const bytes = await stat(path).then((st) => st.size, () => null);
    if (bytes !== null) finished.push({ session, path, bytes, durationMs: null, complete: false });
  }
  return [...finished.sort(byRecordingOrder), ...elsewhere.filter((r) => !finished.some((f) => f.path === r.path)), ...live];
}

/** The recordings at `places` that still exist as files, described by their manifests when they have one. */
async function placedRecordings(places: RecordingPlace[], livePaths: Set<string>): Promise<Recording[]> {
  const out: Recording[] = [];
  for (const place of places) {
    if (livePaths.has(place.path)) continue;
    const bytes = await stat(place.path).then((st) => (st.isFile() ? st.size : null), () => null);
    if (bytes === null) continue;
    let m: RecordingManifest | null = null;
    try {
      m = JSON.parse(await readFile(manifestPathFor(place.path), "utf8")) as RecordingManifest;
    } catch {
      m = null;
    }
    // The manifest counts only when it describes this file of this session.
    if (m && m.file === basename(place.path) && m.session === place.session) {
      out.push({ session: place.session, path: place.path, bytes: m.bytes, durationMs: m.durationMs, complete: m.complete !== false });
    } else {
      out.push({ session: place.session, path: place.path, bytes, durationMs: null, complete: false });
    }
  }
  return out;
}

/** A session's segments in the order they were recorded: `x.webm`, `x-2.webm`, `x-3.webm` ... */
function byRecordingOrder(a: Recording, b: Recording): number {
  const [ka, kb] = [orderKey(a.path), orderKey(b.path)];
  return ka.first < kb.first ? -1 : ka.first > kb.first ? 1 : ka.segment - kb.segment;
}

function orderKey(path: string): { first: string; segment: number } {
  const name = basename(path);
  const segment = recordingName(name)?.segment ?? 1;
  return { first: segment > 1 ? name.replace(/-\d+(\.[^.]+)$/, "$1") : name, segment };
}

/**
 * What a recording's file name says: `ID-2026-11-30T07-12-00-000Z.webm` (or `...-2.webm`) is
 * session ID, started at that UTC time (null when the stamp is not a whole one); `segment` is 2, 3
 * ... for the later segments, whose stamp is the first one's. Null for a name that is not a recording's.
 */
export function recordingName(name: string): { session: string; startedAt: Date | null; segment: number } | null {
  const m = FILE_NAME.exec(name);
  if (!m) return null;
  const [, session, day, hh, mm, ss, ms] = m;
  const startedAt = ms === undefined ? null : new Date(`${day}T${hh}:${mm}:${ss}.${ms}Z`);
  // `...Z-2.webm`: a later segment, in a file named after the session's first one.
  const segment = Number(/Z-(\d+)\.[^.]+$/.exec(name)?.[1] ?? 1);
  return { session: session!, startedAt: startedAt && !Number.isNaN(startedAt.getTime()) ? startedAt : null, segment };
}

const FILE_NAME = /^(.+?)-(\d{4}-\d{2}-\d{2})T(?:(\d{2})-(\d{2})-(\d{2})-(\d{3})Z)?/;

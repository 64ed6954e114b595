import { readdir, readFile, rm, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "../log.js";
import { manifestPathFor, saveManifest, sha256File, type RecordingManifest } from "./recorder-manifest.js";
import { probeRecording, type RecordingProbe } from "./recording-probe.js";
import { recordingName } from "./recordings.js";
import { readTimeline, timelinePathFor, type TimelineEntry } from "./timeline.js";

/** The `error` of a manifest written for a recording that a crash or kill left without one. */
export const CRASHED_RECORDING = "the daemon stopped while recording (crash or kill)";

export interface FinaliseOptions {
  /** The recordings folder. */
  dir: string;
  /** Whether this daemon is writing `path` now; asked before a file is read and again before its manifest is written. */
  isLive: (path: string) => boolean;
  log: Logger;
  /**
   * A file modified less than this long ago (ms) is waited for and left alone if it changes
   * meanwhile: a process that still writes it is not this daemon's to finalise. Default 2000.
   */
  quietMs?: number;
  /** Stops the sweep between files (the daemon is stopping). */
  signal?: AbortSignal;
}

export interface FinalisedRecording {
  path: string;
  manifestPath: string;
  manifest: RecordingManifest;
  /** Time spent reading, hashing and writing the manifest, ms (the quiet wait not included). */
  tookMs: number;
}

/**
 * Gives every recording in `dir` that has no manifest one: a killed daemon leaves its file
 * without. The file's bytes are never changed: the manifest describes what it holds (codecs,
 * frames, sizes, duration and stretches without audio as mediabunny reads them; size and SHA-256
 * of every byte; the technician and customer named in its timeline) with `complete: false`. A file mediabunny cannot read still gets its size and hash, duration null.
 * Files this daemon is writing, files that change while they are looked at, and files whose
 * manifest exists are left alone; temporary manifests of a daemon that died writing one go.
 * Never throws for one file; throws only when `dir` cannot be listed (ENOENT: nothing to do,
 * returns []).
 */
export async function finaliseOrphanRecordings(opts: FinaliseOptions): Promise<FinalisedRecording[]> {
  let names: string[];
  try {
    names = await readdir(opts.dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
  await removeLeftovers(opts.dir, names);
  const done: FinalisedRecording[] = [];
  for (const name of names.filter((n) => /\.(webm|mkv)$/.test(n)).sort()) {
    if (opts.signal?.aborted) break;
    const path = join(opts.dir, name);
    try {
      const finalised = await finaliseOne(path, opts);
      if (finalised) done.push(finalised);
    } catch (error) {
      opts.log.warn(`recording ${path} has no manifest and could not be given one: ${(error as Error).message}`);
    }
  }
  return done;
}

async function finaliseOne(path: string, opts: FinaliseOptions): Promise<FinalisedRecording | null> {
  const named = recordingName(basename(path));
  if (!named || opts.isLive(path) || (await hasManifest(path))) return null;
  let before = await stat(path);
  const quietMs = opts.quietMs ?? 2000;
  const sinceChange = Date.now() - before.mtimeMs;
  if (sinceChange < quietMs) {
    await sleep(quietMs - sinceChange, undefined, { signal: opts.signal }).catch(() => undefined);
    if (opts.signal?.aborted) return null;
    const now = await stat(path);
    if (changed(before, now)) return skip(opts, path, "it is still being written");
    before = now;
  }
  if (before.size === 0) {
    // Opened for a connection that brought no media before the daemon stopped: nothing to keep.
    await rm(path, { force: true });
    await rm(timelinePathFor(path), { force: true });
    opts.log.info(`recording ${path} was empty (its daemon stopped before any media arrived): removed`);
    return null;
  }

  const t0 = performance.now();
  let probe: RecordingProbe | null = null;
  try {
    probe = await probeRecording(path);
  } catch (error) {
    opts.log.warn(`recording ${path} could not be read (${(error as Error).message}): its manifest holds its size and hash only`);
  }
  const sha256 = await sha256File(path);
  const after = await stat(path);
  if (changed(before, after) || opts.isLive(path)) return skip(opts, path, "it changed while it was read");
  if (await hasManifest(path)) return null;

  // The timeline as last saved beside the file (it is rewritten within a fraction of a second of each event).
  const timeline = await readTimeline(path);
  const people = whoOf(timeline);
  const manifest: RecordingManifest = {
    session: named.session,
    technician: people.technician,
    customerName: people.customerName,
    file: basename(path),
    startedAt: startOf(named, after.mtime, probe?.durationMs ?? null).toISOString(),
    endedAt: after.mtime.toISOString(),
    codecs: probe?.codecs ?? { video: null, audio: null },
    frames: probe?.frames ?? { video: 0, audio: 0 },
    width: probe?.width ?? null,
    height: probe?.height ?? null,
    video: { sizes: probe?.sizes ?? [] },
    // Stretches without any audio, as the file shows them; silence the recorder filled in is audio there.
    audio: { gaps: probe?.audioGaps ?? [] },
    durationMs: probe?.durationMs ?? null,
    bytes: after.size,
    sha256,
    complete: false,
    error: CRASHED_RECORDING,
    timeline,
  };
  const manifestPath = await saveManifest(path, manifest);
  const tookMs = Math.round(performance.now() - t0);
  const what = probe ? `${probe.frames.video} video frames, ${probe.frames.audio} audio packets, ${probe.durationMs} ms` : "unreadable";
  opts.log.info(`recording ${path} had no manifest (a crash or kill stopped its daemon): finalised as incomplete, ${what}, ${after.size} bytes, in ${tookMs} ms`);
  return { path, manifestPath, manifest, tookMs };
}

/**
 * Who the recording is of, from its timeline's `segment` entry (the session manager writes the
 * technician and the customer's name there when the segment starts); nulls when it has none.
 */
function whoOf(timeline: TimelineEntry[]): { technician: string | null; customerName: string | null } {
  const detail = timeline.find((e) => e.kind === "segment")?.detail ?? {};
  const text = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);
  return { technician: text(detail.technician), customerName: text(detail.customerName) };
}

/**
 * Removes the temporary manifests (`X.json.PID.tmp`, see writeFileAtomic) of daemons that died
 * while writing one: one daemon runs per profile, so any other pid's is a leftover.
 */
async function removeLeftovers(dir: string, names: string[]): Promise<void> {
  for (const name of names) {
    const pid = /\.json\.(\d+)\.tmp$/.exec(name)?.[1];
    if (pid && Number(pid) !== process.pid) await rm(join(dir, name), { force: true }).catch(() => undefined);
  }
}

/** A manifest that parses counts; a torn one (written before manifests were atomic) is replaced. */
async function hasManifest(recordingPath: string): Promise<boolean> {
  try {
    JSON.parse(await readFile(manifestPathFor(recordingPath), "utf8"));
    return true;
  } catch {
    return false;
  }
}

function changed(a: { size: number; mtimeMs: number }, b: { size: number; mtimeMs: number }): boolean {
  return a.size !== b.size || a.mtimeMs !== b.mtimeMs;
}

function skip(opts: FinaliseOptions, path: string, why: string): null {
  opts.log.info(`recording ${path} has no manifest but was left alone: ${why}`);
  return null;
}

/**
 * When a crash-left recording began: its name's stamp for a first segment; for a later one (whose
 * name carries the first one's stamp) its last write less its duration, when that could be read.
 */
function startOf(named: { startedAt: Date | null; segment: number }, endedAt: Date, durationMs: number | null): Date {
  if (named.segment > 1 && durationMs !== null) return new Date(endedAt.getTime() - durationMs);
  return named.startedAt ?? endedAt;
}

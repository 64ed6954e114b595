import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { basename, dirname, extname, join } from "node:path";
import { writeFileAtomic } from "./atomic-file.js";
import type { AudioGap, RecordingSummary, VideoSizeRun } from "./recorder.js";
import type { TimelineEntry } from "./timeline.js";

export interface ManifestFields {
  session: string;
  technician: string | null;
  customerName: string | null;
}

export interface RecordingManifest extends ManifestFields {
  file: string;
  startedAt: string;
  endedAt: string;
  codecs: { video: string | null; audio: string | null };
  frames: { video: number; audio: number };
  /** The size in the recording's header (its first keyframe's). */
  width: number | null;
  height: number | null;
  /** The sizes really recorded, in order: a resolution change mid-stream is a new entry. */
  video: { sizes: VideoSizeRun[] };
  /** Stretches without the sender's audio: silence written instead (a muted sender), or none at all (an outage, hold). */
  audio: { gaps: AudioGap[] };
  /** From the file's timestamps; null when a file left by a crash could not be read. */
  durationMs: number | null;
  bytes: number;
  sha256: string;
  /** False when recording stopped early (a full disk, a crash): the file holds what came until then. */
  complete: boolean;
  /** Why it stopped early. */
  error?: string;
  /** What happened during the recording, on its clock (see Timeline); also in `<recording>.vtt`. */
  timeline?: TimelineEntry[];
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** `recordings/abc.webm` -> `recordings/abc.json`. */
export function manifestPathFor(recordingPath: string): string {
  return join(dirname(recordingPath), `${basename(recordingPath, extname(recordingPath))}.json`);
}

/** Writes the JSON manifest beside a finished recording (hashing the file as it now is). */
export async function writeManifest(
  summary: RecordingSummary,
  fields: ManifestFields & {
    startedAt: Date;
    endedAt: Date;
    codecs: { video: string | null; audio: string | null };
    /** Set when the recording stopped early. */
    error?: string;
    timeline?: TimelineEntry[];
  },
): Promise<{ path: string; manifest: RecordingManifest }> {
  const manifest: RecordingManifest = {
    session: fields.session,
    technician: fields.technician,
    customerName: fields.customerName,
    file: basename(summary.path),
    startedAt: fields.startedAt.toISOString(),
    endedAt: fields.endedAt.toISOString(),
    codecs: fields.codecs,
    frames: { video: summary.videoFrames, audio: summary.audioPackets },
    width: summary.width,
    height: summary.height,
    video: { sizes: summary.sizes },
    audio: { gaps: summary.audioGaps },
    durationMs: summary.durationMs,
    bytes: summary.bytes,
    sha256: await sha256File(summary.path),
    complete: fields.error === undefined,
    ...(fields.error === undefined ? {} : { error: fields.error }),
    timeline: fields.timeline ?? [],
  };
  const path = await saveManifest(summary.path, manifest);
  return { path, manifest };
}

/** Writes `manifest` beside `recordingPath`, 0600, atomically (see writeFileAtomic); returns its path. */
export async function saveManifest(recordingPath: string, manifest: RecordingManifest): Promise<string> {
  const path = manifestPathFor(recordingPath);
  await writeFileAtomic(path, `${JSON.stringify(manifest, null, 2)}\n`);
  return path;
}

import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import type { AudioGap, RecordingSummary, VideoSizeRun } from "./recorder.js";

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
  /** Stretches where the sender sent no audio and the recording holds silence instead. */
  audio: { gaps: AudioGap[] };
  durationMs: number;
  bytes: number;
  sha256: string;
  /** False when recording stopped early (a full disk, a crash): the file holds what came until then. */
  complete: boolean;
  /** Why it stopped early. */
  error?: string;
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
  };
  const path = manifestPathFor(summary.path);
  const file = await open(path, "w", 0o600);
  try {
    // An older manifest of the same name may be looser: tighten before writing.
    await file.chmod(0o600);
    await file.writeFile(`${JSON.stringify(manifest, null, 2)}\n`);
  } finally {
    await file.close();
  }
  return { path, manifest };
}

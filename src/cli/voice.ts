import { chmodSync, closeSync, openSync } from "node:fs";
import type { LiveTalkResponse } from "../protocol/localapi.js";
import { OPUS_VOICE_OUT, runFfmpeg } from "./audio.js";
import type { DaemonClient } from "./daemon/client.js";
import { firstReason, logTool, soundError } from "./sound-failure.js";

export interface ListenResult {
  /** Ogg/Opus bytes that came from the daemon. */
  bytes: number;
  endedBy: "stopped" | "session-ended";
}

export interface VoiceRun<T> {
  /** Ends it in order: ffmpeg finishes what it writes (a WAV gets its complete header). */
  stop(): void;
  /** Settles when ffmpeg has exited; rejects with ffmpeg's reason when it failed. */
  done: Promise<T>;
}

/**
 * Plays the customer's voice (the daemon's live Ogg/Opus tap) on a PulseAudio sink (`device`, or
 * the default) with an 80 ms buffer, or writes it to `out` as a 48 kHz 16-bit mono WAV (mode 0600).
 * Throws before any audio when the daemon refuses (no such session, not in it). When playing
 * fails, `done` rejects with a SoundUnavailable of one line (ffmpeg's own lines go to `log`, the profile's).
 */
export async function startListening(
  env: Record<string, string | undefined>,
  daemon: DaemonClient,
  id: string,
  target: { out?: string; device?: string },
  log: string,
): Promise<VoiceRun<ListenResult>> {
  const audio = await daemon.customerAudio(id, { save: target.out !== undefined });
  if (target.out) {
    // Customer media: only this user may read it (ffmpeg truncates the file and keeps its mode).
    closeSync(openSync(target.out, "w", 0o600));
    chmodSync(target.out, 0o600);
  }
  // Small probe, no analysis: ffmpeg starts decoding at the first packet instead of buffering seconds.
  const input = ["-probesize", "32", "-analyzeduration", "0", "-fflags", "nobuffer", "-f", "ogg", "-i", "pipe:0"];
  const output = target.out
    ? ["-ac", "1", "-ar", "48000", "-c:a", "pcm_s16le", "-f", "wav", "-y", target.out]
    : // 80 ms of playback buffer: without it PulseAudio kept about 2 s (measured: 0.57 s buffer + 1.4 s sink).
      ["-ac", "1", "-f", "pulse", "-buffer_duration", "80", ...(target.device ? ["-device", target.device] : []), `rescue: customer of ${id}`];
  let ffmpeg;
  try {
    ffmpeg = runFfmpeg(env, [...input, ...output], ["pipe", "ignore"]);
  } catch (e) {
    audio.destroy();
    throw e;
  }
  let bytes = 0;
  audio.on("data", (chunk: Buffer) => (bytes += chunk.length));
  ffmpeg.child.stdin!.on("error", () => undefined); // ffmpeg gone: its exit says why
  audio.pipe(ffmpeg.child.stdin!);
  let endedBy: ListenResult["endedBy"] = "session-ended";
  const stop = (): void => {
    endedBy = "stopped";
    audio.unpipe();
    audio.destroy();
    // End of input: ffmpeg writes what it has and finishes the WAV header.
    ffmpeg.child.stdin!.end();
  };
  const done = ffmpeg.exited.then(({ code, stderr }) => {
    audio.destroy();
    if (code === 0) return { bytes, endedBy };
    if (target.out) {
      logTool(log, "ffmpeg", `writing the customer of ${id} to ${target.out}`, code, stderr);
      throw new Error(`ffmpeg could not write ${target.out}: ${firstReason(stderr) || `exit ${code}`}`);
    }
    const doing = `playing the customer of ${id} on ${target.device ?? "the default output"}`;
    throw soundError(log, { direction: "play", device: target.device, doing, otherwise: "or write the voice to a file with --out FILE.wav" }, code, stderr);
  });
  return { stop, done };
}

/**
 * Sends a PulseAudio source (`device`, or the default input) to the customer as Opus (mono, 20 ms
 * frames, a page per packet) over the daemon's live-talk route until stopped, or until the daemon
 * ends the talk (the session ended). Resolves with the daemon's summary. When the microphone
 * fails, `done` rejects with a SoundUnavailable of one line (ffmpeg's own lines go to `log`, the profile's).
 */
export async function startMicrophone(
  env: Record<string, string | undefined>,
  daemon: DaemonClient,
  id: string,
  device: string | undefined,
  log: string,
): Promise<VoiceRun<LiveTalkResponse>> {
  // Starts the daemon if needed and fails early (not found) before the microphone opens.
  await daemon.getSession(id);
  // Small capture fragments (20 ms at 48 kHz mono s16) keep the microphone's latency low; without
  // the small probe ffmpeg spent 1.6-2.1 s analysing the input before its first page (300 ms with it).
  const input = ["-nostdin", "-probesize", "32", "-analyzeduration", "0", "-fflags", "nobuffer", "-f", "pulse", "-sample_rate", "48000", "-channels", "1", "-fragment_size", "1920", "-i", device ?? "default"];
  const ffmpeg = runFfmpeg(env, [...input, ...OPUS_VOICE_OUT, "pipe:1"], ["ignore", "pipe"]);
  let stopped = false;
  const stop = (): void => {
    stopped = true;
    ffmpeg.child.kill("SIGINT");
  };
  const done = (async () => {
    let result: LiveTalkResponse;
    try {
      result = await daemon.talkLive(id, ffmpeg.child.stdout!);
    } finally {
      // The daemon answered first (the session ended, or it refused): the microphone is not needed.
      if (ffmpeg.child.exitCode === null) ffmpeg.child.kill("SIGINT");
    }
    const { code, stderr } = await ffmpeg.exited;
    if (code !== 0 && !stopped && result.endedBy === "upload-ended") {
      throw soundError(log, { direction: "record", device, doing: `recording ${device ?? "the default input"} for ${id}`, otherwise: "or send a recorded file with --audio FILE" }, code, stderr);
    }
    return result;
  })();
  return { stop, done };
}

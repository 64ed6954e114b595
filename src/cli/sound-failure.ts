import { appendLog } from "../profile/log-file.js";

/** Why ffmpeg could not play or capture sound: no sound server answered, it has no such device, or something else. */
export type SoundFailureKind = "no-server" | "no-device" | "other";

/**
 * What ffmpeg's PulseAudio device says when no server answers (libpulse's errors, as ffmpeg 5-7
 * print them: "Cannot connect context: Access denied." or "Context failed." for output,
 * "default: No such process" / "No such device or address" / "Connection refused" for input;
 * SDL in ffplay: "Could not setup connection to PulseAudio").
 */
const NO_SERVER = /Cannot connect context|Context failed|Connection refused|Access denied|No such process|No such device or address|Connection terminated|connection to PulseAudio/i;
/** ...and when the server answers but has no such sink ("Stream failed.") or source ("NAME: Input/output error", "No such entity"). */
const NO_DEVICE = /Stream failed|No such entity|Input\/output error/i;

/** A sound that could not start or went on: one plain line for people in `message`; ffmpeg's own lines went to the log. */
export class SoundUnavailable extends Error {
  constructor(
    message: string,
    readonly kind: SoundFailureKind,
  ) {
    super(message);
  }
}

/** ffmpeg's first line saying what went wrong, without its "[PulseAudio outdev @ 0x...]" prefix. */
export function firstReason(stderr: string): string {
  const line = stderr.split("\n").map((l) => l.trim()).find(Boolean) ?? "";
  return line.replace(/^\[[^\]]*@ 0x[0-9a-f]+\]\s*/i, "").replace(/\.$/, "");
}

/** Which of the three `stderr` (ffmpeg's, from a PulseAudio input or output) tells. */
export function soundFailureKind(stderr: string): SoundFailureKind {
  if (NO_SERVER.test(stderr)) return "no-server";
  if (NO_DEVICE.test(stderr)) return "no-device";
  return "other";
}

/**
 * Appends a child's stderr to `log` (the profile's, HomePaths.log) as one line,
 * `TOOL DOING exited CODE: lines | ...` (`tool`: ffmpeg, ffplay, mpv; `doing`: what it was doing).
 */
export function logTool(log: string, tool: string, doing: string, code: number | null, stderr: string): void {
  const raw = stderr.split("\n").map((l) => l.trim()).filter(Boolean).join(" | ");
  appendLog(log, "warn", `${tool} ${doing} exited ${code ?? "on a signal"}: ${raw || "(no message)"}`);
}

/**
 * The error for an ffmpeg that played (`direction` "play") or captured ("record") sound and
 * exited `code` with `stderr`: its raw lines are appended to `log` (the profile's: RESCUE_HOME's
 * logs/rescued.log) and the message is one line: for no sound server, that none is reachable and
 * what to do (start one, or `otherwise`: the command's way without a sound device); for a device
 * the server lacks, how to list them; else ffmpeg's first reason and where the rest is.
 */
export function soundError(
  log: string,
  what: { direction: "play" | "record"; device: string | undefined; doing: string; otherwise: string },
  code: number | null,
  stderr: string,
): SoundUnavailable {
  logTool(log, "ffmpeg", what.doing, code, stderr);
  const kind = soundFailureKind(stderr);
  const device = what.device ?? (what.direction === "play" ? "the default output" : "the default input");
  const verb = what.direction === "play" ? `play on ${device}` : `record ${device}`;
  if (kind === "no-server") {
    return new SoundUnavailable(`no PulseAudio server reachable to ${what.direction === "play" ? "play the customer's voice" : "record your microphone"}: start one (pulseaudio --start, or PipeWire's pipewire-pulse), ${what.otherwise}`, kind);
  }
  if (kind === "no-device") {
    const list = what.direction === "play" ? "pactl list short sinks" : "pactl list short sources";
    return new SoundUnavailable(`ffmpeg could not ${verb}: ${firstReason(stderr)} (is there such a device? see ${list})`, kind);
  }
  return new SoundUnavailable(`ffmpeg could not ${verb}: ${firstReason(stderr) || `exit ${code}`} (ffmpeg's messages are in ${log})`, kind);
}

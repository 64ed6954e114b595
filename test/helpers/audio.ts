import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Decodes any audio file ffmpeg reads to mono 48 kHz samples in -1..1 (optionally skipping `skipSec`). */
export async function pcmOf(path: string, skipSec = 0): Promise<Float32Array> {
  const { stdout } = await run(
    "ffmpeg",
    ["-v", "error", "-ss", String(skipSec), "-i", path, "-ac", "1", "-ar", "48000", "-f", "f32le", "pipe:1"],
    { encoding: "buffer", maxBuffer: 256 * 1024 * 1024 },
  );
  return new Float32Array(stdout.buffer, stdout.byteOffset, Math.floor(stdout.length / 4));
}

/** Power of one frequency in `samples` (Goertzel), normalised by length. */
export function goertzel(samples: Float32Array, rate: number, freq: number): number {
  const coeff = 2 * Math.cos((2 * Math.PI * freq) / rate);
  let s1 = 0;
  let s2 = 0;
  for (const x of samples) {
    const s0 = x + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return (s1 * s1 + s2 * s2 - coeff * s1 * s2) / (samples.length * samples.length);
}

/**
 * Which of the `candidates` (Hz) carries the most power (Goertzel), the power of each, the RMS,
 * and a second, independent estimate: the zero-crossing rate of the loud parts (10 ms windows
 * above a third of the RMS, crossings counted with hysteresis so decoder noise in silences does
 * not count).
 */
export function dominantFrequency(samples: Float32Array, rate: number, candidates: number[]): { best: number; power: Record<number, number>; rms: number; zeroCrossingHz: number } {
  const power: Record<number, number> = {};
  for (const f of candidates) power[f] = goertzel(samples, rate, f);
  const best = candidates.reduce((a, b) => (power[b]! > power[a]! ? b : a));
  let sum = 0;
  for (const x of samples) sum += x * x;
  const rms = Math.sqrt(sum / Math.max(1, samples.length));
  const window = Math.round(rate / 100);
  let crossings = 0;
  let loudSamples = 0;
  // Carried across consecutive loud windows, so crossings on window edges count too.
  let sign = 0;
  for (let start = 0; start + window <= samples.length; start += window) {
    let w = 0;
    for (let i = start; i < start + window; i++) w += samples[i]! * samples[i]!;
    const wRms = Math.sqrt(w / window);
    if (wRms < rms / 3) {
      sign = 0;
      continue;
    }
    const threshold = wRms / 4;
    let changes = 0;
    for (let i = start; i < start + window; i++) {
      const x = samples[i]!;
      const s = x > threshold ? 1 : x < -threshold ? -1 : 0;
      if (s !== 0 && s !== sign) {
        if (sign !== 0) changes++;
        sign = s;
      }
    }
    crossings += changes;
    loudSamples += window;
  }
  return { best, power, rms, zeroCrossingHz: loudSamples ? crossings / 2 / (loudSamples / rate) : 0 };
}

export interface PrivatePulse {
  /** Environment for clients (ffmpeg, pactl, the CLI): PULSE_SERVER and a private runtime folder. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * A private PulseAudio server with two null sinks, `speakers` and `mic` (scripts/private-pulse.mjs,
 * shared with the benchmarks). Null when pulseaudio is not installed.
 */
export async function startPrivatePulse(): Promise<PrivatePulse | null> {
  // @ts-expect-error: a plain ES module without type declarations
  const { startPrivatePulse: start } = await import("../../scripts/private-pulse.mjs");
  return (await start()) as PrivatePulse | null;
}

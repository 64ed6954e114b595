// The benchmarks' stream: 640x480 30 fps VP8 at about 1 Mbit/s (noise keeps the bitrate up) and
// Opus, 10 s each, made with ffmpeg into `dir`. The simulator loops it for longer runs.
// RESCUE_BENCH_CLIP=DIR keeps the clip in DIR and reuses it (encoding it is slow on a busy machine).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";

export function makeClip(dir) {
  const keep = process.env.RESCUE_BENCH_CLIP;
  if (keep) mkdirSync(keep, { recursive: true, mode: 0o700 });
  const clip = { video: join(keep ?? dir, "clip.ivf"), audio: join(keep ?? dir, "clip.ogg") };
  if (keep && existsSync(clip.video) && existsSync(clip.audio)) return clip;
  const ffmpeg = (args) => execFileSync("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", ...args]);
  ffmpeg([
    "-f", "lavfi", "-i", "testsrc2=size=640x480:rate=30:duration=10,noise=alls=12:allf=t",
    "-c:v", "libvpx", "-b:v", "1M", "-minrate", "1M", "-maxrate", "1M", "-g", "60", "-keyint_min", "60",
    "-auto-alt-ref", "0", "-lag-in-frames", "0", "-deadline", "realtime", "-cpu-used", "8", "-error-resilient", "1",
    "-f", "ivf", clip.video,
  ]);
  ffmpeg([
    "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=10",
    "-c:a", "libopus", "-b:a", "32k", "-frame_duration", "20", "-ac", "1", "-f", "ogg", clip.audio,
  ]);
  return clip;
}

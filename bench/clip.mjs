// The benchmarks' stream: 640x480 30 fps VP8 at about 1 Mbit/s (noise keeps the bitrate up) and
// Opus, 10 s each, made with ffmpeg into `dir`. The simulator loops it for longer runs.
import { execFileSync } from "node:child_process";
import { join } from "node:path";

export function makeClip(dir) {
  const clip = { video: join(dir, "clip.ivf"), audio: join(dir, "clip.ogg") };
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

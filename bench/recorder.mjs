#!/usr/bin/env node
// The recorder alone: the media bench's clip (640x480 30 fps VP8 ~1 Mbit/s + 20 ms Opus packets)
// handed to daemon/session/recorder.ts at the pace it would arrive (a 10 ms tick hands on what is
// due), written to a file and finalised. Each run is a fresh child process with rescued's Node
// flags; CPU-s (user + system) per stream-second, from the first packet to the finalised file,
// minus the same feeding loop without a recorder (measured in the same runs), and the same over
// the stream's second half alone (`laterHalf`: after V8 has optimised the hot code). Prints JSON.
// RESCUE_BENCH_BASE=DIR (another built checkout) runs its recorder too, interleaved (ABBA), and
// prints both with the ratio. Knobs: RESCUE_BENCH_RUNS (4), RESCUE_BENCH_SECONDS (10),
// RESCUE_BENCH_CLIP (see clip.mjs). Needs the compiled tree (npm run build) and ffmpeg.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { makeClip } from "./clip.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

if (process.argv[2] === "--run") await run(process.argv[3], process.argv[4], Number(process.argv[5]), process.argv[6]);
else main();

/**
 * One run with `tree`'s recorder (`mode` "record") or the feeding loop alone ("none"): prints
 * CPU-s per stream-second and what the file holds.
 */
async function run(tree, mode, seconds, clipDir) {
  const dist = (path) => pathToFileURL(join(tree, "dist", path)).href;
  const { Recorder } = await import(dist("daemon/session/recorder.js"));
  const { readIvf } = await import(dist("src/media/ivf.js"));
  const { readOggOpus } = await import(dist("src/media/ogg-opus.js"));
  const video = readIvf(join(clipDir, "clip.ivf")).frames;
  const audio = readOggOpus(join(clipDir, "clip.ogg")).packets;
  const dir = mkdtempSync(join(tmpdir(), "rescue-bench-recorder-"));
  const recorder = mode === "record" ? new Recorder({ path: join(dir, "r.webm"), videoCodec: "vp8", expectVideo: true }) : null;
  let sink = 0;
  const frames = seconds * 30;
  const packets = seconds * 50;
  let v = 0;
  let a = 0;
  let halfway;
  const before = process.cpuUsage();
  const start = performance.now();
  await new Promise((done) => {
    const tick = setInterval(() => {
      const due = (performance.now() - start) / 1000;
      if (!halfway && due >= seconds / 2) halfway = process.cpuUsage();
      while (v < frames && v / 30 <= due) {
        // The clip loops; its first frame is a keyframe, and RTP timestamps keep counting.
        const frame = video[v % video.length];
        if (recorder) recorder.addVideoFrame({ data: frame.data, keyframe: frame.keyframe, timestamp: v * 3000 });
        else sink += frame.data.length;
        v++;
      }
      while (a < packets && a / 50 <= due) {
        const packet = audio[a % audio.length].data;
        if (recorder) recorder.addAudioPacket(packet, a * 960);
        else sink += packet.length;
        a++;
      }
      if (v >= frames && a >= packets) {
        clearInterval(tick);
        done();
      }
    }, 10);
  });
  const summary = recorder ? await recorder.finalise() : null;
  const used = process.cpuUsage(before);
  const later = process.cpuUsage(halfway);
  rmSync(dir, { recursive: true, force: true });
  if (summary && summary.videoFrames !== frames) throw new Error(`recorded ${summary.videoFrames} of ${frames} frames`);
  console.log(JSON.stringify({ cpuSecondsPerStreamSecond: (used.user + used.system) / 1e6 / seconds, laterHalf: (later.user + later.system) / 1e6 / (seconds / 2), videoFrames: summary?.videoFrames ?? 0, audioPackets: summary?.audioPackets ?? 0, bytes: summary?.bytes ?? sink }));
}

function measure(tree, mode, seconds, clipDir) {
  const out = execFileSync(process.execPath, [...flags(), fileURLToPath(import.meta.url), "--run", tree, mode, String(seconds), clipDir], { encoding: "utf8" });
  return JSON.parse(out.trim().split("\n").at(-1));
}

let daemonFlags = [];
function flags() {
  return daemonFlags;
}

function median(values) {
  const s = [...values].sort((x, y) => x - y);
  return (s[Math.floor((s.length - 1) / 2)] + s[Math.ceil((s.length - 1) / 2)]) / 2;
}

const round = (n) => Number(n.toFixed(4));
const spread = (values) => ({ min: round(Math.min(...values)), median: round(median(values)), max: round(Math.max(...values)), runs: values.map(round) });

async function main() {
  ({ DAEMON_NODE_FLAGS: daemonFlags } = await import(pathToFileURL(join(root, "dist/src/cli/daemon/node-flags.js")).href));
  const runs = Number(process.env.RESCUE_BENCH_RUNS ?? 4);
  const seconds = Number(process.env.RESCUE_BENCH_SECONDS ?? 10);
  const base = process.env.RESCUE_BENCH_BASE ? resolve(process.env.RESCUE_BENCH_BASE) : null;
  const dir = mkdtempSync(join(tmpdir(), "rescue-bench-recorder-clip-"));
  try {
    const clip = dirname(makeClip(dir).video);
    const trees = base ? { base, tree: root } : { tree: root };
    const figures = Object.fromEntries(Object.keys(trees).map((name) => [name, []]));
    const feeding = [];
    for (let i = 0; i < runs; i++) {
      // ABBA: base, tree, tree, base, ... so load on the machine falls on both alike.
      const order = base ? (i % 2 === 0 ? ["base", "tree"] : ["tree", "base"]) : ["tree"];
      for (const name of order) figures[name].push(measure(trees[name], "record", seconds, clip));
      feeding.push(measure(root, "none", seconds, clip));
    }
    const result = { secondsPerRun: seconds };
    for (const part of ["cpuSecondsPerStreamSecond", "laterHalf"]) {
      const loop = median(feeding.map((f) => f[part]));
      const figure = (result[part] = { feedingLoopAlone: spread(feeding.map((f) => f[part])) });
      for (const [name, values] of Object.entries(figures)) figure[name] = spread(values.map((v) => v[part] - loop));
      if (base) figure.ratio = round(figure.tree.median / figure.base.median);
    }
    result.loadavg = loadavg().map((l) => Number(l.toFixed(2)));
    console.log(JSON.stringify(result, null, 2));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

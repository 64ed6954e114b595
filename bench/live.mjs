#!/usr/bin/env node
// Live view benchmark: glass-to-terminal latency of `rescue session view` and the viewer's CPU.
// A real server and daemon; the customer (the simulator, in this process) streams a 640x480
// 30 fps clip whose frames carry their number as ten black-or-white stripes; `rescue session view
// --renderer blocks` runs as scripts run it, piped into this process, which reads each painted
// frame's number back from the half blocks. Prints one JSON object:
//   video.glassToTerminalMs  p50/p95 from the customer sending a frame to the viewer writing it
//   video.framesShown / framesSent  while measuring
//   view.cpuSecondsPerStreamSecond  of the viewer and its ffmpeg decoder together
// Needs `npm run build` and ffmpeg. Knob: RESCUE_BENCH_SECONDS (20).
import { execFileSync, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { pct, root, round, startSystem } from "./system.mjs";

const SECONDS = Number(process.env.RESCUE_BENCH_SECONDS ?? 20);
const BITS = 10;
const CLIP_FRAMES = 300;
const COLS = 40; // 40x15 cells = 40x30 pixels, the clip's 4:3 without bars: 4 columns per stripe
const ROWS = 15;
const TICK = 100; // USER_HZ of /proc/PID/stat

const { simulateCustomer } = await import(join(root, "dist/src/customer/run.js"));
const { parseBlockLines } = await import(join(root, "dist/src/picture/blocks.js"));

const system = await startSystem("live");
const { env, server, rescue } = system;
const video = numberedClip(system.work);
try {
  const s = JSON.parse(await rescue(["session", "new", "--lens", "--pin", "--json"]));
  /** Send times of each clip frame, newest last. */
  const sent = new Map();
  let framesSent = 0;
  const customer = simulateCustomer({
    server: server.url,
    pin: s.pin,
    acceptEula: true,
    durationSec: SECONDS + 20,
    videoPath: video,
    onSent: (kind, index, atMs) => {
      if (kind !== "video") return;
      framesSent++;
      const times = sent.get(index) ?? [];
      times.push(atMs);
      if (times.length > 3) times.shift();
      sent.set(index, times);
    },
  });
  await rescue(["session", "wait", s.id, "--status", "waiting", "--timeout", "20"]);
  await rescue(["session", "start", s.id]);

  const view = spawn(process.execPath, [system.bin, "session", "view", s.id, "--renderer", "blocks", "--size", `${COLS}x${ROWS}`], { env, stdio: ["ignore", "pipe", "inherit"] });
  const latencies = [];
  let shown = 0;
  let buf = "";
  let measuring = false;
  view.stdout.setEncoding("utf8").on("data", (chunk) => {
    const now = performance.timeOrigin + performance.now();
    buf += chunk;
    // A frame is complete at the newline that ends it (piped output).
    for (let end; (end = buf.indexOf("\x1b[0m\n")) >= 0; ) {
      const text = buf.slice(0, end + 5);
      buf = buf.slice(end + 5);
      const number = frameNumber(parseBlockLines(text));
      if (number === null || !measuring) continue;
      shown++;
      const sentAt = (sent.get(number) ?? []).filter((t) => t <= now).at(-1);
      if (sentAt !== undefined) latencies.push(now - sentAt);
    }
  });
  await new Promise((r) => setTimeout(r, 2000));
  measuring = true;
  const sentBefore = framesSent;
  const cpuBefore = treeTicks(view.pid);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const cpu = (treeTicks(view.pid) - cpuBefore) / TICK;
  const seconds = (performance.now() - t0) / 1000;
  measuring = false;
  view.kill("SIGINT");
  await rescue(["session", "end", s.id]);
  await customer.catch(() => undefined);
  console.log(
    JSON.stringify(
      {
        stream: { width: 640, height: 480, fps: 30 },
        viewer: { renderer: "blocks", cols: COLS, rows: ROWS },
        video: {
          glassToTerminalMs: { p50: round(pct(latencies, 0.5), 1), p95: round(pct(latencies, 0.95), 1), samples: latencies.length },
          framesShown: shown,
          framesSent: framesSent - sentBefore,
        },
        view: { cpuSeconds: round(cpu), cpuSecondsPerStreamSecond: round(cpu / seconds, 4) },
        loadavg: loadavg().map((l) => round(l)),
      },
      null,
      2,
    ),
  );
} finally {
  await system.close();
}

/** 640x480 VP8 at 30 fps whose frame N shows N's bits as stripes, bit 0 at the left: white is 1. */
function numberedClip(dir) {
  const out = join(dir, "numbered.ivf");
  const lum = `if(bitand(N\\,pow(2\\,floor(X*${BITS}/W)))\\,235\\,16)`;
  execFileSync("ffmpeg", [
    "-hide_banner", "-loglevel", "error", "-y",
    "-f", "lavfi", "-i", `color=c=black:size=640x480:rate=30:duration=${CLIP_FRAMES / 30},format=yuv420p,geq=lum='${lum}':cb=128:cr=128`,
    "-c:v", "libvpx", "-b:v", "1M", "-g", "60", "-keyint_min", "60", "-auto-alt-ref", "0", "-lag-in-frames", "0",
    "-deadline", "realtime", "-cpu-used", "8", "-error-resilient", "1", "-f", "ivf", out,
  ]);
  return out;
}

/** The frame number a painted frame shows, or null when it is not a whole frame. */
function frameNumber(cells) {
  if (cells.length !== ROWS || cells.some((row) => row.length !== COLS)) return null;
  const row = cells[Math.floor(ROWS / 2)];
  let n = 0;
  for (let bit = 0; bit < BITS; bit++) {
    const cell = row[Math.floor(((bit + 0.5) * COLS) / BITS)];
    if (cell.top[0] > 128) n |= 1 << bit;
  }
  return n;
}

/** CPU ticks of a process and its children (the viewer and its ffmpeg). */
function treeTicks(pid) {
  let total = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const fields = readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1].split(" ");
      if (Number(entry) === pid || Number(fields[1]) === pid) total += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

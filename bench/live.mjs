#!/usr/bin/env node
// Live session benchmark: what the technician sees and hears, and how late.
// A real server and daemon; the customer (the simulator, in this process) streams a 640x480
// 30 fps clip whose frames carry their number as ten black-or-white stripes, and audio that is
// silence with a 200 ms 1 kHz burst every two seconds (a latency is read against the burst before
// it, so two seconds apart leaves no doubt which one arrived). Prints one JSON object:
//   video.glassToTerminalMs  p50/p95 from the customer sending a frame to `rescue session view
//                            --renderer blocks` (piped into this process) writing it; the frame's
//                            number is read back from the half blocks
//   video.framesShown / framesSent  while measuring
//   view.cpuSecondsPerStreamSecond  of the viewer and its ffmpeg decoder together
//   audio.customerToListenerMs  p50/p95 from the customer sending a burst's first packet to its
//                            first loud packet in the daemon's audio stream (GET .../audio), which
//                            `rescue session listen` decodes (ffmpeg) and hands to the sound server
//   audio.technicianToCustomerMs  p50/p95 from a burst's first Opus packet entering the daemon's
//                            live talk stream (POST .../talk/live, what `talk --mic` feeds) to its
//                            arrival at the customer
// The sound server's own buffering (capture, playback) is not in these figures: measured through
// PulseAudio null sinks and their monitors it is dominated by the null sinks themselves (about
// 1.8 s here), which a real sound card does not have.
// Needs `npm run build` and ffmpeg.
// Knob: RESCUE_BENCH_SECONDS (20, per measurement).
import { execFileSync, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import http from "node:http";
import { PassThrough } from "node:stream";
import { pct, root, round, startSystem } from "./system.mjs";

const SECONDS = Number(process.env.RESCUE_BENCH_SECONDS ?? 20);
const BITS = 10;
const CLIP_FRAMES = 300;
const COLS = 40; // 40x15 cells = 40x30 pixels, the clip's 4:3 without bars: 4 columns per stripe
const ROWS = 15;
const TICK = 100; // USER_HZ of /proc/PID/stat
/** Opus packets of the technician's voice above this size carry sound, not silence. */
const LOUD_OPUS_BYTES = 30;

const { simulateCustomer } = await import(join(root, "dist/src/customer/run.js"));
const { parseBlockLines } = await import(join(root, "dist/src/picture/blocks.js"));
const { OggOpusStreamReader } = await import(join(root, "dist/src/media/ogg-opus-stream.js"));

const system = await startSystem("live");
const { env, server, rescue } = system;
const video = numberedClip(system.work);
const audio = burstClip(system.work);
const BURST_EVERY_PACKETS = 100; // 2 s of 20 ms packets
const BURST_EVERY_MS = 2000;
try {
  const s = JSON.parse(await rescue(["session", "new", "--lens", "--pin", "--json"]));
  /** Send times of each clip frame, newest last. */
  const sent = new Map();
  let framesSent = 0;
  /** Send times of the customer's bursts (their first packet). */
  const burstsSent = [];
  /** Arrival times of the technician's bursts at the customer. */
  const voiceArrived = [];
  let quietPackets = 0;
  const customer = simulateCustomer({
    server: server.url,
    pin: s.pin,
    acceptEula: true,
    durationSec: 5 * SECONDS + 60,
    videoPath: video,
    audioPath: audio,
    probe: {
      sent: (kind, index, atMs) => {
        if (kind === "audio") {
          if (index % BURST_EVERY_PACKETS === 0) burstsSent.push(atMs);
          return;
        }
        framesSent++;
        const times = sent.get(index) ?? [];
        times.push(atMs);
        if (times.length > 3) times.shift();
        sent.set(index, times);
      },
      // Opus spends a few bytes on silence and far more on a tone: a loud packet after a quiet
      // stretch is a burst's onset.
      receivedVoice: (payload, atMs) => {
        if (payload.length > LOUD_OPUS_BYTES) {
          if (quietPackets >= 15) voiceArrived.push(atMs);
          quietPackets = 0;
        } else quietPackets++;
      },
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
  const result = {
    stream: { width: 640, height: 480, fps: 30 },
    viewer: { renderer: "blocks", cols: COLS, rows: ROWS },
    video: {
      glassToTerminalMs: { p50: round(pct(latencies, 0.5), 1), p95: round(pct(latencies, 0.95), 1), samples: latencies.length },
      framesShown: shown,
      framesSent: framesSent - sentBefore,
    },
    view: { cpuSeconds: round(cpu), cpuSecondsPerStreamSecond: round(cpu / seconds, 4) },
    audio: {},
    loadavg: [],
  };
  result.audio.customerToListenerMs = await customerToListener(s.id);
  result.audio.technicianToCustomerMs = await technicianToCustomer(s.id);
  result.loadavg = loadavg().map((l) => round(l));
  await rescue(["session", "end", s.id]).catch((e) => console.error(e.message));
  await customer.catch(() => undefined);
  console.log(JSON.stringify(result, null, 2));

  /** The daemon's audio stream (GET /api/v1/sessions/:id/audio, what `listen` reads), read here. */
  async function customerToListener(id) {
    const reader = new OggOpusStreamReader();
    const heard = [];
    let quiet = 0;
    const req = http.get({ socketPath: join(system.home, "run", "rescued.sock"), path: `/api/v1/sessions/${id}/audio`, headers: { "rescue-localapi-version": "1" } }, (res) => {
      res.on("data", (chunk) => {
        const now = performance.timeOrigin + performance.now();
        for (const packet of reader.push(chunk)) {
          if (packet.data.length > LOUD_OPUS_BYTES) {
            if (quiet >= 15) heard.push(now);
            quiet = 0;
          } else quiet++;
        }
      });
    });
    req.on("error", () => undefined);
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    req.destroy();
    return latencyFigures(burstsSent, heard);
  }

  /** A live talk fed here in real time with the burst clip, as `talk --mic` feeds it from ffmpeg. */
  async function technicianToCustomer(id) {
    const { DaemonClient } = await import(join(root, "dist/src/cli/daemon/client.js"));
    const { OggOpusWriter } = await import(join(root, "dist/src/media/ogg-writer.js"));
    const { readOggOpus } = await import(join(root, "dist/src/media/ogg-opus.js"));
    const packets = readOggOpus(audio).packets;
    const writer = new OggOpusWriter({ channels: 1 });
    const upload = new PassThrough();
    upload.write(writer.header());
    const talking = new DaemonClient(join(system.home, "run", "rescued.sock")).talkLive(id, upload);
    const played = [];
    const from = voiceArrived.length;
    const t0 = performance.now();
    for (let i = 0; i < (SECONDS * 1000) / 20; i++) {
      await new Promise((r) => setTimeout(r, Math.max(0, t0 + i * 20 - performance.now())));
      const packet = packets[i % packets.length];
      if (i % BURST_EVERY_PACKETS === 0) played.push(performance.timeOrigin + performance.now());
      upload.write(writer.packet(packet.data, packet.samples));
    }
    upload.end();
    await talking.catch(() => undefined);
    return latencyFigures(played, voiceArrived.slice(from));
  }
} finally {
  await system.close();
}

/** Each arrival against the latest send before it (within a burst period): p50/p95 and the count. */
function latencyFigures(sentTimes, arrivals) {
  const values = [];
  for (const at of arrivals) {
    const sentAt = sentTimes.filter((t) => t <= at && at - t < BURST_EVERY_MS).at(-1);
    if (sentAt !== undefined) values.push(at - sentAt);
  }
  return { p50: round(pct(values, 0.5), 1), p95: round(pct(values, 0.95), 1), samples: values.length };
}

/** Silence with a 200 ms 1 kHz burst at the start of every other second, as 20 ms Opus packets. */
function burstClip(dir) {
  const out = join(dir, "bursts.ogg");
  execFileSync("ffmpeg", [
    "-hide_banner", "-loglevel", "error", "-y",
    "-f", "lavfi", "-i", "aevalsrc=0.5*sin(2*PI*1000*t)*lt(mod(t\\,2)\\,0.2):s=48000:d=10",
    "-c:a", "libopus", "-b:a", "32k", "-frame_duration", "20", "-application", "voip", "-ac", "1", "-f", "ogg", out,
  ]);
  return out;
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

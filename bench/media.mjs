#!/usr/bin/env node
// Media benchmark: a 640x480 30 fps ~1 Mbit/s VP8 + Opus stream from the simulated customer to the
// technician's peer and recorder, which run in a child process so their CPU and memory are measured
// alone. Prints one JSON object:
//   firstFrameMs  time from startMedia to the first video frame written to the recording file
//                 (p50 of 10 short sessions)
//   cpuSecondsPerStreamSecond, peakRssMb  of the receiving process over a 30 s stream (also split:
//                 main thread, kernel)
//   frames, keyframeRequests  video frames sent and recorded, PLIs sent (by reason) over that stream
// Needs the compiled tree (npm run build) and ffmpeg. Knobs for investigating: RESCUE_BENCH_SECONDS,
// RESCUE_BENCH_SHORT_RUNS, RESCUE_BENCH_RECORD=0, RESCUE_BENCH_INBOUND_LOSS=N (percent),
// RESCUE_BENCH_CPU_PROF=DIR, RESCUE_BENCH_NODE_FLAGS.
import { fork } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { makeClip } from "./clip.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = (path) => join(root, "dist", path);

if (process.argv[2] === "--receiver") await receiver();
else await main();

async function receiver() {
  const { TechnicianPeer } = await import(dist("daemon/session/peer.js"));
  // RESCUE_BENCH_INBOUND_LOSS=N drops N% of inbound packets (werift's debug hook; NACK repairs most).
  const loss = Number(process.env.RESCUE_BENCH_INBOUND_LOSS ?? 0);
  const peer = new TechnicianPeer({ iceServers: [], loopback: true, inboundKeepPercent: loss > 0 ? 100 - loss : undefined });
  const send = (message) => process.send(message);
  peer.on("signal", (signal) => send({ type: "signal", signal }));
  peer.on("connected", () => send({ type: "connected" }));
  const keyframeRequests = {};
  peer.on("keyframe-request", (why) => (keyframeRequests[why] = (keyframeRequests[why] ?? 0) + 1));
  peer.on("first-frame", (info) => {
    // Then wait until that frame is in the file.
    const poll = setInterval(() => {
      if (peer.firstFrameWrittenMs === null) return;
      clearInterval(poll);
      send({ type: "first-frame", handedMs: info.afterMs, writtenMs: peer.firstFrameWrittenMs });
    }, 1);
  });
  process.on("message", async (message) => {
    if (message.type === "signal") await peer.handleSignal(message.signal);
    else if (message.type === "start") {
      // RESCUE_BENCH_RECORD=0 measures receiving without the recorder.
      peer.startMedia({ recordPath: process.env.RESCUE_BENCH_RECORD === "0" ? null : message.recordPath });
    } else if (message.type === "usage") {
      const maxRssKb = process.resourceUsage().maxRSS;
      send({ type: "usage", cpu: process.cpuUsage(), mainThreadTicks: mainThreadTicks(), maxRssKb });
    }
    else if (message.type === "close") {
      const info = await peer.close("ended");
      send({ type: "closed", info, keyframeRequests });
      process.disconnect();
    }
  });
  send({ type: "ready" });
}

/** CPU ticks (1/100 s) of the main thread alone, to tell JavaScript work from V8's helper threads. */
function mainThreadTicks() {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8").split(") ")[1].split(" ");
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

function next(child, type) {
  return new Promise((resolve, reject) => {
    const onMessage = (message) => {
      if (message.type !== type) return;
      child.off("message", onMessage);
      child.off("exit", onExit);
      resolve(message);
    };
    const onExit = (code) => reject(new Error(`receiver exited (${code}) waiting for ${type}`));
    child.on("message", onMessage);
    child.once("exit", onExit);
  });
}

/** One session: connect, start, stream `seconds`, close. Returns what the receiver reported. */
async function session(CustomerPeer, clip, dir, seconds, name) {
  // RESCUE_BENCH_CPU_PROF=DIR writes a V8 CPU profile of each receiver there.
  const profDir = process.env.RESCUE_BENCH_CPU_PROF;
  const child = fork(fileURLToPath(import.meta.url), ["--receiver"], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    execArgv: [
      ...(profDir ? ["--cpu-prof", "--cpu-prof-dir", profDir] : []),
      ...(process.env.RESCUE_BENCH_NODE_FLAGS?.split(" ").filter(Boolean) ?? []),
    ],
  });
  await next(child, "ready");
  const customer = new CustomerPeer({ iceServers: [], loopback: true, videoPath: clip.video, audioPath: clip.audio });
  customer.on("signal", (signal) => child.send({ type: "signal", signal }));
  child.on("message", (message) => {
    if (message.type === "signal") void customer.handleSignal(message.signal);
  });
  const connected = next(child, "connected");
  await customer.start();
  await connected;
  const recordPath = join(dir, `${name}.webm`);
  const before = await (child.send({ type: "usage" }), next(child, "usage"));
  const firstFrame = next(child, "first-frame");
  // As in a session: Start reaches the daemon and the customer (status active) at the same moment.
  child.send({ type: "start", recordPath });
  const playing = customer.play(seconds);
  const first = await firstFrame;
  await playing;
  const after = await (child.send({ type: "usage" }), next(child, "usage"));
  child.send({ type: "close" });
  const closed = await next(child, "closed");
  await customer.close();
  await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once("exit", resolve)));
  const cpuSeconds = (after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / 1e6;
  const systemSeconds = (after.cpu.system - before.cpu.system) / 1e6;
  return {
    firstFrameMs: first.writtenMs,
    handedMs: first.handedMs,
    cpuSeconds,
    systemSeconds,
    mainThreadSeconds: after.mainThreadTicks === null ? null : (after.mainThreadTicks - before.mainThreadTicks) / 100,
    maxRssKb: after.maxRssKb,
    sent: customer.sentVideoFrames,
    recorded: closed.info.recording?.videoFrames ?? 0,
    keyframeRequests: closed.keyframeRequests,
    bytes: fileSize(recordPath),
    recordedKbps: Math.round((fileSize(recordPath) * 8) / seconds / 1000),
  };
}

function fileSize(path) {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function median(sorted) {
  return (sorted[Math.floor((sorted.length - 1) / 2)] + sorted[Math.ceil((sorted.length - 1) / 2)]) / 2;
}

/** A 10 s clip whose video really needs ~1 Mbit/s: moving test pattern plus temporal noise. */

async function main() {
  const { CustomerPeer } = await import(dist("src/customer/peer.js"));
  const dir = mkdtempSync(join(tmpdir(), "rescue-bench-media-"));
  try {
    const clip = makeClip(dir);
    const firstFrames = [];
    const runs = Number(process.env.RESCUE_BENCH_SHORT_RUNS ?? 10);
    for (let i = 0; i < runs; i++) firstFrames.push((await session(CustomerPeer, clip, dir, 1, `short-${i}`)).firstFrameMs);
    const streamSeconds = Number(process.env.RESCUE_BENCH_SECONDS ?? 30);
    const long = await session(CustomerPeer, clip, dir, streamSeconds, "long");
    const sorted = [...firstFrames].sort((a, b) => a - b);
    const round = (n, digits = 1) => Number(n.toFixed(digits));
    console.log(
      JSON.stringify({
        stream: { width: 640, height: 480, fps: 30, seconds: streamSeconds, recordedKbps: long.recordedKbps },
        inboundLossPercent: Number(process.env.RESCUE_BENCH_INBOUND_LOSS ?? 0),
        firstFrameMs: { p50: round(median(sorted)), max: round(sorted.at(-1)), runs: firstFrames.map((n) => round(n)) },
        cpuSecondsPerStreamSecond: round(long.cpuSeconds / streamSeconds, 4),
        kernelCpuSecondsPerStreamSecond: round(long.systemSeconds / streamSeconds, 4),
        mainThreadCpuSecondsPerStreamSecond: long.mainThreadSeconds === null ? null : round(long.mainThreadSeconds / streamSeconds, 4),
        peakRssMb: round(long.maxRssKb / 1024),
        frames: { sent: long.sent, recorded: long.recorded },
        keyframeRequests: long.keyframeRequests,
        recordingBytes: long.bytes,
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

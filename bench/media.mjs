#!/usr/bin/env node
// Media benchmark: a 640x480 30 fps ~1 Mbit/s VP8 + Opus stream from the simulated customer to the
// technician's peer and recorder, which run in a child process so their CPU and memory are measured
// alone. Runs are interleaved over the inbound loss levels (0%, 2%, 5% by default: werift's debug
// hook drops that share of packets before SRTP, NACK repairs what it can) and it prints one JSON
// object with, per loss level side by side:
//   cpuSecondsPerStreamSecond  CPU-s (user + system, process.cpuUsage) of the receiving process per
//                 second of stream, from Start to the end of the stream: min, median, max of the runs
//                 (mainThreadCpuSecondsPerStreamSecond: the main thread's part, from /proc;
//                 laterHalfCpuSecondsPerStreamSecond: the stream's second half alone, after warm-up)
//   peakRssMb     max RSS of the receiving process: min, median, max
//   frames        video frames sent and recorded (all runs), and the worst run's recorded share
//   offerToConnectedMs  from the customer creating its offer to the receiver's connected (DTLS up)
//   keyframeRequests    PLIs the receiver sent, by reason, over all runs
//   loss          what loss cost and what repaired it, summed over the runs (lossCounts)
// plus firstFrameMs (Start to the first frame in the file, short sessions at 0% loss) and `targets`:
// the targets, each with its limit, the measured figure and pass/fail.
// Needs the compiled tree (npm run build) and ffmpeg. Default: about 3 minutes. Knobs:
// RESCUE_BENCH_RUNS (3 per loss level), RESCUE_BENCH_SECONDS (10 per run), RESCUE_BENCH_LOSSES
// ("0,2,5"), RESCUE_BENCH_SHORT_RUNS (5), RESCUE_BENCH_RECORD=0 (receive without the recorder:
// firstFrameMs is then the first frame handed on, and no frames count as recorded),
// RESCUE_BENCH_CPU_PROF=DIR, RESCUE_BENCH_NODE_FLAGS.
import { fork } from "node:child_process";
import v8 from "node:v8";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { makeClip } from "./clip.mjs";
import { next } from "./child.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = (path) => join(root, "dist", path);
const { DAEMON_NODE_FLAGS } = await import(dist("src/cli/daemon/node-flags.js"));

if (process.argv[2] === "--receiver") await receiver();
else await main();

async function receiver() {
  const { TechnicianPeer } = await import(dist("rescued/peer.js"));
  // RESCUE_BENCH_INBOUND_LOSS=N drops N% of inbound packets (werift's debug hook; NACK repairs most).
  const loss = Number(process.env.RESCUE_BENCH_INBOUND_LOSS ?? 0);
  const peer = new TechnicianPeer({ iceServers: [], loopback: true, inboundKeepPercent: loss > 0 ? 100 - loss : undefined });
  const send = (message) => process.send(message);
  peer.on("signal", (signal) => send({ type: "signal", signal }));
  peer.on("connected", () => send({ type: "connected" }));
  const keyframeRequests = {};
  peer.on("keyframe-request", (why) => (keyframeRequests[why] = (keyframeRequests[why] ?? 0) + 1));
  let poll;
  let recording = false;
  peer.on("first-frame", (info) => {
    // Without a recorder no frame ever reaches a file: the frame handed on is the first frame.
    if (!recording) return send({ type: "first-frame", handedMs: info.afterMs, writtenMs: info.afterMs });
    // Then wait until that frame is in the file (or the session closes: the process must exit).
    poll = setInterval(() => {
      if (peer.firstFrameWrittenMs === null) return;
      clearInterval(poll);
      send({ type: "first-frame", handedMs: info.afterMs, writtenMs: peer.firstFrameWrittenMs });
    }, 1);
  });
  process.on("message", async (message) => {
    if (message.type === "signal") await peer.handleSignal(message.signal);
    else if (message.type === "start") {
      // RESCUE_BENCH_RECORD=0 measures receiving without the recorder.
      recording = process.env.RESCUE_BENCH_RECORD !== "0";
      peer.startMedia({ recordPath: recording ? message.recordPath : null });
    } else if (message.type === "usage") {
      const maxRssKb = process.resourceUsage().maxRSS;
      send({ type: "usage", cpu: process.cpuUsage(), mainThreadTicks: mainThreadTicks(), maxRssKb, memory: process.memoryUsage(), heapSpaces: heapSpaces() });
    }
    else if (message.type === "close") {
      clearInterval(poll);
      const info = await peer.close("ended");
      send({ type: "closed", info, keyframeRequests, loss: peer.lossCounters() });
      process.disconnect();
    }
  });
  send({ type: "ready" });
}

/** Committed MB of each V8 heap space (new_space is the young generation, sized by --max-semi-space-size). */
function heapSpaces() {
  return Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, s.physical_space_size / 2 ** 20]));
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

/** One session: connect, start, stream `seconds`, close. Returns what the receiver reported. */
async function session(CustomerPeer, clip, dir, seconds, name, loss = 0) {
  // RESCUE_BENCH_CPU_PROF=DIR writes a V8 CPU profile of each receiver there.
  const profDir = process.env.RESCUE_BENCH_CPU_PROF;
  const child = fork(fileURLToPath(import.meta.url), ["--receiver"], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    env: { ...process.env, RESCUE_BENCH_INBOUND_LOSS: String(loss) },
    execArgv: [
      // As rescued runs (startDaemon); RESCUE_BENCH_NODE_FLAGS come after and override.
      ...DAEMON_NODE_FLAGS,
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
  const connected = next(child, "connected").then(() => performance.now());
  const offered = performance.now();
  await customer.start();
  const connectMs = (await connected) - offered;
  const recordPath = join(dir, `${name}.webm`);
  const before = await (child.send({ type: "usage" }), next(child, "usage"));
  const firstFrame = next(child, "first-frame");
  // As in a session: Start reaches the daemon and the customer (status active) at the same moment.
  child.send({ type: "start", recordPath });
  const playing = customer.play(seconds);
  // Halfway through, to tell the stream's second half (code warmed up, JIT done) from its first.
  const halfway = new Promise((r) => setTimeout(r, (seconds * 1000) / 2)).then(() => (child.send({ type: "usage" }), next(child, "usage")));
  // A session whose first frame never reaches the file (on an overloaded machine) counts as null, not a hang.
  let giveUp;
  const first = await Promise.race([firstFrame, new Promise((r) => (giveUp = setTimeout(r, (seconds + 30) * 1000, { writtenMs: null, handedMs: null })))]);
  // Cleared, or the last session's timer would keep the bench alive for half a minute after it printed.
  clearTimeout(giveUp);
  await playing;
  const mid = await halfway;
  const after = await (child.send({ type: "usage" }), next(child, "usage"));
  child.send({ type: "close" });
  const closed = await next(child, "closed");
  const videoSender = customer.pc.getTransceivers().find((t) => t.kind === "video")?.sender;
  const lossCounters = { ...closed.loss, retransmittedBySender: videoSender?.retransmittedPacketsSent ?? 0, framesLost: customer.sentVideoFrames - (closed.info.recording?.videoFrames ?? 0) };
  await customer.close();
  await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once("exit", resolve)));
  const cpuSeconds = (after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / 1e6;
  const systemSeconds = (after.cpu.system - before.cpu.system) / 1e6;
  return {
    connectMs,
    firstFrameMs: first.writtenMs,
    handedMs: first.handedMs,
    cpuSeconds,
    laterHalfCpuSeconds: (after.cpu.user + after.cpu.system - mid.cpu.user - mid.cpu.system) / 1e6,
    systemSeconds,
    mainThreadSeconds: after.mainThreadTicks === null ? null : (after.mainThreadTicks - before.mainThreadTicks) / 100,
    maxRssKb: after.maxRssKb,
    memory: after.memory,
    heapSpaces: after.heapSpaces,
    sent: customer.sentVideoFrames,
    recorded: closed.info.recording?.videoFrames ?? 0,
    keyframeRequests: closed.keyframeRequests,
    loss: lossCounters,
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

function round(n, digits = 1) {
  return Number(n.toFixed(digits));
}

/** min, median, max (and every run) of `values`. */
function spread(values, digits) {
  const sorted = [...values].sort((a, b) => a - b);
  return { min: round(sorted[0], digits), median: round(median(sorted), digits), max: round(sorted.at(-1), digits), runs: values.map((v) => round(v, digits)) };
}

/**
 * Sums the runs' loss counters: video packets missing on arrival and recovered, NACKs and the
 * sequence numbers they named, retransmissions the customer sent, packets the jitter buffer gave
 * up or got too late, frames held back waiting for a keyframe or broken, keyframe requests by reason;
 * the NACK round trip and recovery time per run.
 */
function lossCounts(runs) {
  const sum = {};
  for (const run of runs) {
    for (const [key, value] of Object.entries(run)) {
      // Smoothed times (nackRttMs, nackRecoveryMs) are listed per run, not summed.
      if (typeof value === "number" && key.endsWith("Ms")) (sum[key] ??= []).push(value);
      else if (typeof value === "number") sum[key] = (sum[key] ?? 0) + value;
      else for (const [k, n] of Object.entries(value)) (sum[key] ??= {})[k] = (sum[key][k] ?? 0) + n;
    }
  }
  return { ...sum, framesLostPerRun: runs.map((r) => r.framesLost) };
}

async function main() {
  const { CustomerPeer } = await import(dist("src/customer/peer.js"));
  const dir = mkdtempSync(join(tmpdir(), "rescue-bench-media-"));
  try {
    const clip = makeClip(dir);
    const shortRuns = Number(process.env.RESCUE_BENCH_SHORT_RUNS ?? 5);
    const runs = Number(process.env.RESCUE_BENCH_RUNS ?? 3);
    const seconds = Number(process.env.RESCUE_BENCH_SECONDS ?? 10);
    const losses = (process.env.RESCUE_BENCH_LOSSES ?? "0,2,5").split(",").map(Number);
    const connects = [];
    const firstFrames = [];
    for (let i = 0; i < shortRuns; i++) {
      const s = await session(CustomerPeer, clip, dir, 1, `short-${i}`);
      if (s.firstFrameMs !== null) firstFrames.push(s.firstFrameMs);
      connects.push(s.connectMs);
    }
    // Interleaved: run i of every loss level before run i + 1 of any, so load on the machine
    // falls on all levels alike.
    const byLoss = Object.fromEntries(losses.map((loss) => [loss, []]));
    for (let i = 0; i < runs; i++) {
      for (const loss of losses) {
        const s = await session(CustomerPeer, clip, dir, seconds, `run-${loss}-${i}`, loss);
        byLoss[loss].push(s);
        connects.push(s.connectMs);
      }
    }
    const levels = {};
    for (const loss of losses) {
      const list = byLoss[loss];
      const keyframeRequests = {};
      for (const s of list) for (const [why, n] of Object.entries(s.keyframeRequests)) keyframeRequests[why] = (keyframeRequests[why] ?? 0) + n;
      const sent = list.reduce((a, s) => a + s.sent, 0);
      const recorded = list.reduce((a, s) => a + s.recorded, 0);
      levels[`${loss}%`] = {
        cpuSecondsPerStreamSecond: spread(list.map((s) => s.cpuSeconds / seconds), 4),
        // The same over the stream's second half alone: a fresh process spends its first seconds
        // running code not yet optimised and compiling it (V8's helper threads); a daemon does that once.
        laterHalfCpuSecondsPerStreamSecond: spread(list.map((s) => s.laterHalfCpuSeconds / (seconds / 2)), 4),
        kernelCpuSecondsPerStreamSecond: spread(list.map((s) => s.systemSeconds / seconds), 4),
        // The main thread's share (JavaScript, the event loop); the rest is V8's and libuv's helper threads (GC).
        mainThreadCpuSecondsPerStreamSecond: list.some((s) => s.mainThreadSeconds === null) ? null : spread(list.map((s) => s.mainThreadSeconds / seconds), 4),
        peakRssMb: spread(list.map((s) => s.maxRssKb / 1024), 1),
        // What the RSS holds at the end of the stream (medians, MB): V8's heap by space, and memory
        // outside it (Buffers' backing stores, native code and libraries in the rest).
        memoryAtEndMb: {
          rss: round(median(list.map((s) => s.memory.rss / 2 ** 20).sort((a, b) => a - b)), 1),
          heapTotal: round(median(list.map((s) => s.memory.heapTotal / 2 ** 20).sort((a, b) => a - b)), 1),
          external: round(median(list.map((s) => s.memory.external / 2 ** 20).sort((a, b) => a - b)), 1),
          arrayBuffers: round(median(list.map((s) => s.memory.arrayBuffers / 2 ** 20).sort((a, b) => a - b)), 1),
          heapSpaces: Object.fromEntries(
            Object.keys(list[0].heapSpaces).map((name) => [name, round(median(list.map((s) => s.heapSpaces[name]).sort((a, b) => a - b)), 1)]),
          ),
        },
        frames: { sent, recorded, recordedOfSent: round(recorded / sent, 4), worstRun: round(Math.min(...list.map((s) => s.recorded / s.sent)), 4) },
        offerToConnectedMs: spread(list.map((s) => s.connectMs), 1),
        keyframeRequests,
        // Where the frames went, summed over the runs (and each run's frames lost): see lossCounts.
        loss: lossCounts(list.map((s) => s.loss)),
        recordedKbps: spread(list.map((s) => s.recordedKbps), 0),
      };
    }
    const connect = spread(connects, 1);
    const at = (loss) => levels[`${loss}%`];
    const targets = [];
    const target = (name, limit, measured, pass) => targets.push({ target: name, limit, measured, pass });
    if (at(0)) target("median CPU-s per stream-second at 0% loss", "< 0.025", at(0).cpuSecondsPerStreamSecond.median, at(0).cpuSecondsPerStreamSecond.median < 0.025);
    if (at(5)) target("median CPU-s per stream-second at 5% loss", "< 0.035", at(5).cpuSecondsPerStreamSecond.median, at(5).cpuSecondsPerStreamSecond.median < 0.035);
    for (const loss of losses) {
      const c = at(loss).cpuSecondsPerStreamSecond;
      target(`no run above twice its median CPU at ${loss}% loss`, `max <= ${round(2 * c.median, 4)}`, c.max, c.max <= 2 * c.median);
    }
    if (at(2)) target("frames recorded of frames sent at 2% loss", ">= 0.99", at(2).frames.recordedOfSent, at(2).frames.recordedOfSent >= 0.99);
    target("median offer -> connected", "< 150 ms", connect.median, connect.median < 150);
    const rss = Math.max(...losses.map((loss) => at(loss).peakRssMb.max));
    target("peak RSS of the receiver", "< 80 MB", rss, rss < 80);
    const sortedFirst = [...firstFrames].sort((a, b) => a - b);
    console.log(
      JSON.stringify(
        {
          stream: { width: 640, height: 480, fps: 30, secondsPerRun: seconds, runsPerLossLevel: runs },
          inboundLoss: levels,
          offerToConnectedMs: connect,
          firstFrameMs: firstFrames.length ? { p50: round(median(sortedFirst)), max: round(sortedFirst.at(-1)), runs: firstFrames.map((n) => round(n)) } : null,
          targets,
          loadavg: (await import("node:os")).loadavg().map((l) => round(l, 2)),
        },
        null,
        2,
      ),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

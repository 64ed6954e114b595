#!/usr/bin/env node
// Scale benchmark: one receiving process (the daemon's TechnicianPeer and recorder, in a child
// process so its CPU is measured alone) receives and records K streams at once, each a 640x480
// 30 fps ~1 Mbit/s VP8 + Opus stream from a simulated customer (the senders share this process).
// Steps: 1, 4, 10, 16 streams at 0% inbound loss, then 16 at 2% (werift's debug hook drops that
// share; NACK repairs it). Prints one JSON object, per step:
//   cpuSecondsPerStreamSecond   receiver CPU-s (user + system) per second of stream, all streams
//   cpuSecondsPerStreamPerSecond  the same divided by the streams: the cost of one more stream
//   framesSent, framesRecorded, framesLost (sent - recorded), recordedOfSent
//   eventLoopDelayMs  the receiver's event loop delay (p99, max) while streaming: a collapse shows
//                     as delay in the hundreds of ms and lost frames
//   peakRssMb
//   loss        where lost frames went: packets missing/recovered, NACKs, given up, frames held back,
//               keyframe requests by reason, the NACK round trip and recovery time (min/max over the
//               streams), kernel drops (receive buffer full) on the receiver's UDP sockets (IPv4 and IPv6)
//   sender      the simulated customers' side: video packets sent, packets retransmitted on NACK,
//               keyframe requests (PLI) heard
// and `collapsed` per step (lost more than 1% of frames or event-loop p99 above 200 ms).
// Needs the compiled tree (npm run build) and ffmpeg. Default about 2-3 minutes. Knobs:
// RESCUE_BENCH_SECONDS (10 per step), RESCUE_BENCH_STEPS ("1,4,10,16,16@2": streams@loss%),
// RESCUE_BENCH_CLIP=DIR (keep the clip).
import { fork } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { makeClip } from "./clip.mjs";
import { next } from "./child.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = (path) => join(root, "dist", path);
const { DAEMON_NODE_FLAGS } = await import(dist("src/cli/daemon/node-flags.js"));

if (process.argv[2] === "--receiver") await receiver();
else await main();

/** Holds K technician peers; answers usage and close for all. */
async function receiver() {
  const { TechnicianPeer } = await import(dist("rescued/peer.js"));
  const loss = Number(process.env.RESCUE_BENCH_INBOUND_LOSS ?? 0);
  const peers = new Map();
  const delay = monitorEventLoopDelay({ resolution: 10 });
  const send = (message) => process.send(message);
  process.on("message", async (message) => {
    if (message.type === "add") {
      const peer = new TechnicianPeer({ iceServers: [], loopback: true, inboundKeepPercent: loss > 0 ? 100 - loss : undefined });
      peers.set(message.id, peer);
      peer.on("signal", (signal) => send({ type: "signal", id: message.id, signal }));
      peer.on("connected", () => send({ type: "connected", id: message.id }));
    } else if (message.type === "signal") await peers.get(message.id).handleSignal(message.signal);
    else if (message.type === "start") {
      for (const [id, peer] of peers) peer.startMedia({ recordPath: join(message.dir, `${id}.webm`) });
      delay.reset();
      delay.enable();
    } else if (message.type === "usage") {
      send({ type: "usage", cpu: process.cpuUsage(), maxRssKb: process.resourceUsage().maxRSS, delayP99Ms: delay.percentile(99) / 1e6, delayMaxMs: delay.max / 1e6 });
    } else if (message.type === "close") {
      delay.disable();
      const recorded = {};
      const kernelDrops = udpDrops();
      const loss = {};
      for (const [id, peer] of peers) {
        recorded[id] = (await peer.close("ended")).recording?.videoFrames ?? 0;
        const counters = peer.lossCounters?.() ?? {};
        for (const [key, value] of Object.entries(counters)) if (typeof value === "number" && key !== "nackRttMs" && key !== "nackRecoveryMs") loss[key] = (loss[key] ?? 0) + value;
        for (const [why, n] of Object.entries(counters.keyframeRequests ?? {})) loss.keyframeRequests = { ...loss.keyframeRequests, [why]: (loss.keyframeRequests?.[why] ?? 0) + n };
        (loss.nackRttMs ??= []).push(counters.nackRttMs);
        if (counters.nackRecoveryMs !== undefined) (loss.nackRecoveryMs ??= []).push(counters.nackRecoveryMs);
      }
      send({ type: "closed", recorded, loss: { ...loss, kernelDrops } });
      process.disconnect();
    }
  });
  send({ type: "ready" });
}

/**
 * Datagrams the kernel dropped on this process's UDP sockets (receive buffer full): the drops
 * column of /proc/net/udp for the socket inodes among /proc/self/fd. Null where that is not readable.
 */
function udpDrops() {
  try {
    const inodes = new Set();
    for (const fd of readdirSync("/proc/self/fd")) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
        if (m) inodes.add(m[1]);
      } catch {
        // closed meanwhile
      }
    }
    let drops = 0;
    for (const table of ["/proc/net/udp", "/proc/net/udp6"]) {
      for (const line of readFileSync(table, "utf8").split("\n").slice(1)) {
        const f = line.trim().split(/\s+/);
        if (f.length > 12 && inodes.has(f[9])) drops += Number(f.at(-1));
      }
    }
    return drops;
  } catch {
    return null;
  }
}

/** K streams into one receiver for `seconds`. */
async function step(CustomerPeer, clip, dir, streams, loss, seconds) {
  const child = fork(fileURLToPath(import.meta.url), ["--receiver"], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    env: { ...process.env, RESCUE_BENCH_INBOUND_LOSS: String(loss) },
    // As rescued runs (startDaemon).
    execArgv: [...DAEMON_NODE_FLAGS],
  });
  await next(child, "ready");
  const customers = [];
  child.on("message", (message) => {
    if (message.type === "signal") void customers[message.id].handleSignal(message.signal);
  });
  for (let id = 0; id < streams; id++) {
    const customer = new CustomerPeer({ iceServers: [], loopback: true, videoPath: clip.video, audioPath: clip.audio });
    customers.push(customer);
    customer.on("signal", (signal) => child.send({ type: "signal", id, signal }));
    child.send({ type: "add", id });
    const connected = next(child, "connected", (m) => m.id === id);
    await customer.start();
    await connected;
  }
  const before = await (child.send({ type: "usage" }), next(child, "usage"));
  child.send({ type: "start", dir });
  await Promise.all(customers.map((c) => c.play(seconds)));
  const after = await (child.send({ type: "usage" }), next(child, "usage"));
  child.send({ type: "close" });
  const closed = await next(child, "closed");
  await Promise.all(customers.map((c) => c.close()));
  await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once("exit", resolve)));
  const cpu = (after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / 1e6;
  const sent = customers.reduce((a, c) => a + c.sentVideoFrames, 0);
  const recorded = Object.values(closed.recorded).reduce((a, n) => a + n, 0);
  // The senders' side: video packets sent, NACKed packets retransmitted, keyframe requests (PLI) heard.
  const senders = customers.map((c) => c.pc.getTransceivers().find((t) => t.kind === "video")?.sender);
  const sender = {
    videoPackets: senders.reduce((a, s) => a + (s?.packetCount ?? 0), 0),
    retransmitted: senders.reduce((a, s) => a + (s?.retransmittedPacketsSent ?? 0), 0),
    keyframeRequests: customers.reduce((a, c) => a + c.keyframeRequests, 0),
  };
  const round = (n, digits = 1) => Number(n.toFixed(digits));
  const result = {
    streams,
    inboundLossPercent: loss,
    cpuSecondsPerStreamSecond: round(cpu / seconds, 4),
    cpuSecondsPerStreamPerSecond: round(cpu / seconds / streams, 4),
    framesSent: sent,
    framesRecorded: recorded,
    framesLost: sent - recorded,
    recordedOfSent: round(recorded / sent, 4),
    eventLoopDelayMs: { p99: round(after.delayP99Ms), max: round(after.delayMaxMs) },
    peakRssMb: round(after.maxRssKb / 1024),
    // Summed over the streams: packets missing and recovered, NACKs, given up, frames held back, and
    // datagrams the kernel dropped on the receiver's sockets (see TechnicianPeer.lossCounters).
    loss: { ...closed.loss, nackRttMs: rttRange(closed.loss.nackRttMs), nackRecoveryMs: rttRange(closed.loss.nackRecoveryMs) },
    sender,
  };
  return { ...result, collapsed: result.recordedOfSent < 0.99 || result.eventLoopDelayMs.p99 > 200 };
}

/** Smallest and largest of a per-stream figure (ms) among the streams. */
function rttRange(values = []) {
  return values.length ? { min: Math.min(...values), max: Math.max(...values) } : null;
}

async function main() {
  const { CustomerPeer } = await import(dist("src/customer/peer.js"));
  const dir = mkdtempSync(join(tmpdir(), "rescue-bench-scale-"));
  try {
    const clip = makeClip(dir);
    const seconds = Number(process.env.RESCUE_BENCH_SECONDS ?? 10);
    const steps = (process.env.RESCUE_BENCH_STEPS ?? "1,4,10,16,16@2").split(",").map((s) => s.split("@").map(Number));
    const results = [];
    for (const [streams, loss = 0] of steps) results.push(await step(CustomerPeer, clip, dir, streams, loss, seconds));
    console.log(
      JSON.stringify(
        { stream: { width: 640, height: 480, fps: 30, seconds }, steps: results, loadavg: (await import("node:os")).loadavg().map((l) => Number(l.toFixed(2))) },
        null,
        2,
      ),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

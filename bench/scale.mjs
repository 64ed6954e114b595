#!/usr/bin/env node
// Scale benchmark: one receiving process (the daemon's TechnicianPeer and recorder, in a child
// process so its CPU is measured alone) receives and records K streams at once, each a 640x480
// 30 fps ~1 Mbit/s VP8 + Opus stream from a simulated customer. The customers run in sender
// processes of their own (RESCUE_BENCH_SENDERS, default 4, each holding every 4th stream): in one
// process 16 senders lagged 0.4-2 s under load, and that lag counted against the receiver.
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
//   sender      the simulated customers' side: sender processes, video packets sent, packets retransmitted on NACK,
//               keyframe requests (PLI) heard
// and `collapsed` per step (lost more than 1% of frames or event-loop p99 above 200 ms).
// Needs the compiled tree (npm run build) and ffmpeg. Default about 2-3 minutes. Knobs:
// RESCUE_BENCH_SECONDS (10 per step), RESCUE_BENCH_STEPS ("1,4,10,16,16@2": streams@loss%),
// RESCUE_BENCH_SENDERS (4), RESCUE_BENCH_CLIP=DIR (keep the clip).
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
else if (process.argv[2] === "--sender") await sender();
else await main();

/** Holds some of the simulated customers: connects them, plays them, reports what they sent. */
async function sender() {
  const { CustomerPeer } = await import(dist("src/customer/peer.js"));
  const customers = new Map();
  const send = (message) => process.send(message);
  process.on("message", async (message) => {
    if (message.type === "add") {
      const customer = new CustomerPeer({ iceServers: [], loopback: true, videoPath: message.clip.video, audioPath: message.clip.audio });
      customers.set(message.id, customer);
      customer.on("signal", (signal) => send({ type: "signal", id: message.id, signal }));
      await customer.start();
    } else if (message.type === "signal") await customers.get(message.id).handleSignal(message.signal);
    else if (message.type === "play") {
      await Promise.all([...customers.values()].map((c) => c.play(message.seconds)));
      const senders = [...customers.values()].map((c) => c.pc.getTransceivers().find((t) => t.kind === "video")?.sender);
      send({
        type: "played",
        framesSent: [...customers.values()].reduce((a, c) => a + c.sentVideoFrames, 0),
        videoPackets: senders.reduce((a, s) => a + (s?.packetCount ?? 0), 0),
        retransmitted: senders.reduce((a, s) => a + (s?.retransmittedPacketsSent ?? 0), 0),
        keyframeRequests: [...customers.values()].reduce((a, c) => a + c.keyframeRequests, 0),
      });
    } else if (message.type === "close") {
      await Promise.all([...customers.values()].map((c) => c.close()));
      process.disconnect();
    }
  });
  send({ type: "ready" });
}

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

/** A forked copy of this script in `mode` (--receiver, --sender), ready. */
async function forkSelf(mode, env = process.env) {
  const child = fork(fileURLToPath(import.meta.url), [mode], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    env,
    // As rescued runs (startDaemon).
    execArgv: [...DAEMON_NODE_FLAGS],
  });
  await next(child, "ready");
  return child;
}

/** K streams into one receiver for `seconds`. */
async function step(clip, dir, streams, loss, seconds) {
  const child = await forkSelf("--receiver", { ...process.env, RESCUE_BENCH_INBOUND_LOSS: String(loss) });
  const senderCount = Math.max(1, Math.min(streams, Number(process.env.RESCUE_BENCH_SENDERS ?? 4)));
  const senders = await Promise.all(Array.from({ length: senderCount }, () => forkSelf("--sender")));
  const senderOf = (id) => senders[id % senderCount];
  child.on("message", (message) => {
    if (message.type === "signal") senderOf(message.id).send(message);
  });
  for (const s of senders) s.on("message", (message) => message.type === "signal" && child.send(message));
  for (let id = 0; id < streams; id++) {
    child.send({ type: "add", id });
    const connected = next(child, "connected", (m) => m.id === id);
    senderOf(id).send({ type: "add", id, clip });
    await connected;
  }
  const before = await (child.send({ type: "usage" }), next(child, "usage"));
  child.send({ type: "start", dir });
  const played = await Promise.all(senders.map((s) => (s.send({ type: "play", seconds }), next(s, "played"))));
  const after = await (child.send({ type: "usage" }), next(child, "usage"));
  child.send({ type: "close" });
  const closed = await next(child, "closed");
  for (const s of senders) s.send({ type: "close" });
  const exited = (c) => new Promise((resolve) => (c.exitCode !== null ? resolve() : c.once("exit", resolve)));
  await Promise.all([child, ...senders].map(exited));
  const cpu = (after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / 1e6;
  const sum = (key) => played.reduce((a, p) => a + p[key], 0);
  const sent = sum("framesSent");
  const recorded = Object.values(closed.recorded).reduce((a, n) => a + n, 0);
  // The senders' side: video packets sent, NACKed packets retransmitted, keyframe requests (PLI) heard.
  const sender = { processes: senderCount, videoPackets: sum("videoPackets"), retransmitted: sum("retransmitted"), keyframeRequests: sum("keyframeRequests") };
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
  const dir = mkdtempSync(join(tmpdir(), "rescue-bench-scale-"));
  try {
    const clip = makeClip(dir);
    const seconds = Number(process.env.RESCUE_BENCH_SECONDS ?? 10);
    const steps = (process.env.RESCUE_BENCH_STEPS ?? "1,4,10,16,16@2").split(",").map((s) => s.split("@").map(Number));
    const results = [];
    for (const [streams, loss = 0] of steps) results.push(await step(clip, dir, streams, loss, seconds));
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

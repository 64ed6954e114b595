#!/usr/bin/env node
// Jitter-buffer benchmark: the daemon's video jitter buffer (dist/daemon/session/jitter-buffer.js,
// "ours") against werift's JitterBufferCallback as the daemon used it before ("werift", the patched
// copy in node_modules), fed the same synthetic stream with unrecovered random loss. The stream is
// like the benches' 640x480 30 fps ~1 Mbit/s VP8: 4 packets a frame, 120 packets/s, 90 kHz clock,
// 200 ms latency. Prints one JSON object; for each buffer and loss:
//   cpuSecondsPerStreamSecond  CPU (user + system) spent feeding it, per second of stream
//   in, out          packets that arrived, packets emitted (with repeats)
//   duplicatesOut    emissions of a packet already emitted
//   goodDropped      packets that arrived but never came out
//   lossReports, falseLoss   loss signals (each one a keyframe request), sequence numbers they
//                    named that had in fact arrived
// Needs the compiled tree (npm run build). Knob: RESCUE_BENCH_SECONDS (60 s of stream per case).
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { RtpHeader, RtpPacket } from "werift";
import { JitterBufferCallback } from "werift/nonstandard";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { JitterBuffer } = await import(join(root, "dist/daemon/session/jitter-buffer.js"));

const SECONDS = Number(process.env.RESCUE_BENCH_SECONDS ?? 60);
const PER_FRAME = 4;
const LOSSES = [0, 0.005, 0.02, 0.05];

/** A seeded stream with `loss` of its packets dropped; sequence numbers start near the wrap. */
function arrivals(loss, seed) {
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const packets = [];
  for (let i = 0; i < SECONDS * 30 * PER_FRAME; i++) {
    if (rand() < loss) continue;
    const header = new RtpHeader({
      payloadType: 96,
      sequenceNumber: (60_000 + i) & 0xffff,
      timestamp: (1000 + Math.floor(i / PER_FRAME) * 3000) >>> 0,
      marker: i % PER_FRAME === PER_FRAME - 1,
      ssrc: 0x1234,
    });
    packets.push(new RtpPacket(header, Buffer.alloc(1100)));
  }
  return packets;
}

/** Feeds `packets` through `make(onPacket, onLoss)`'s buffer, then ends the stream; returns the figures above. */
function measure(packets, make) {
  const seen = new Set();
  const arrived = new Set(packets.map((p) => p.header.sequenceNumber));
  const r = { out: 0, duplicatesOut: 0, lossReports: 0, falseLoss: 0 };
  const buffer = make(
    (rtp) => {
      r.out++;
      if (seen.has(rtp)) r.duplicatesOut++;
      seen.add(rtp);
    },
    (from, count) => {
      r.lossReports++;
      for (let k = 0; k < count; k++) if (arrived.has((from + k) & 0xffff)) r.falseLoss++;
    },
  );
  const before = process.cpuUsage();
  for (const rtp of packets) buffer.input(rtp);
  buffer.end();
  const cpu = process.cpuUsage(before);
  return {
    cpuSecondsPerStreamSecond: Number(((cpu.user + cpu.system) / 1e6 / SECONDS).toFixed(5)),
    in: packets.length,
    out: r.out,
    duplicatesOut: r.duplicatesOut,
    goodDropped: packets.length - seen.size,
    lossReports: r.lossReports,
    falseLoss: r.falseLoss,
  };
}

const buffers = {
  werift: (onPacket, onLoss) => {
    const jitter = new JitterBufferCallback(90_000, { latency: 200 });
    jitter.pipe((output) => {
      const lost = output.isPacketLost;
      if (lost) onLoss(lost.from, ((lost.to - lost.from) & 0xffff) + 1);
      if (output.rtp) onPacket(output.rtp);
    });
    return { input: (rtp) => jitter.input({ rtp }), end: () => jitter.input({ eol: true }) };
  },
  ours: (onPacket, onLoss) => {
    const jitter = new JitterBuffer({ clockRate: 90_000, latencyMs: 200 }, { packet: onPacket, loss: ({ from, count }) => onLoss(from, count) });
    return { input: (rtp) => jitter.input(rtp), end: () => jitter.flush() };
  },
};

const results = {};
for (const [name, make] of Object.entries(buffers)) {
  results[name] = {};
  for (const loss of LOSSES) results[name][`${loss * 100}%`] = measure(arrivals(loss, 19), make);
}
console.log(JSON.stringify({ streamSeconds: SECONDS, packetsPerSecond: 30 * PER_FRAME, latencyMs: 200, results }, null, 2));

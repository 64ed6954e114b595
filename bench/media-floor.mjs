#!/usr/bin/env node
// The floor under bench/media.mjs's CPU-s per stream-second: what Node itself spends receiving the
// same packet stream over UDP on loopback, and receiving plus SRTP-decrypting it (AES-128-GCM,
// RFC 7714, the profile werift negotiates: one keyed KeyObject, one decipher per packet, the tag
// checked), with no WebRTC stack, jitter buffer or recorder. The stream has the media bench's
// shape: 640x480 30 fps VP8 at about 1 Mbit/s in packets of at most 1,200 bytes, and Opus at 50
// packets per second. Each mode runs in a fresh child process with the daemon's Node flags,
// interleaved; prints JSON with CPU-s per stream-second (min, median, max) per mode.
// Knobs: RESCUE_BENCH_RUNS (3), RESCUE_BENCH_SECONDS (8), RESCUE_BENCH_VIDEO_KBPS (1000).
import { fork } from "node:child_process";
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { DAEMON_NODE_FLAGS } = await import(join(root, "dist", "src", "cli", "daemon", "node-flags.js"));
const TAG = 16;

if (process.argv[2] === "--receiver") await receiver(process.argv[3], Buffer.from(process.argv[4], "hex"), Buffer.from(process.argv[5], "hex"));
else await main();

/** The 12-byte GCM IV of RFC 7714 section 8.1: salt XOR (0, SSRC, ROC, SEQ). */
function iv(salt, ssrc, seq) {
  const v = Buffer.alloc(12);
  v.writeUInt32BE(ssrc, 2);
  v.writeUInt16BE(seq, 10);
  for (let i = 0; i < 12; i++) v[i] ^= salt[i];
  return v;
}

async function receiver(mode, key, salt) {
  const keyObject = createSecretKey(key);
  const socket = createSocket("udp4");
  let packets = 0;
  let bytes = 0;
  socket.on("message", (packet) => {
    packets++;
    if (mode !== "decrypt") return;
    const ssrc = packet.readUInt32BE(8);
    const seq = packet.readUInt16BE(2);
    const decipher = createDecipheriv("aes-128-gcm", keyObject, iv(salt, ssrc, seq));
    decipher.setAAD(packet.subarray(0, 12));
    decipher.setAuthTag(packet.subarray(packet.length - TAG));
    const payload = decipher.update(packet.subarray(12, packet.length - TAG));
    decipher.final();
    bytes += payload.length;
  });
  await new Promise((r) => socket.bind(0, "127.0.0.1", r));
  process.on("message", (message) => {
    if (message.type === "usage") process.send({ type: "usage", cpu: process.cpuUsage(), packets, bytes });
    else if (message.type === "close") {
      socket.close();
      process.disconnect();
    }
  });
  process.send({ type: "ready", port: socket.address().port });
}

function next(child, type) {
  return new Promise((resolve) => {
    const on = (m) => {
      if (m.type !== type) return;
      child.off("message", on);
      resolve(m);
    };
    child.on("message", on);
  });
}

async function run(mode, seconds, videoKbps) {
  const key = randomBytes(16);
  const salt = randomBytes(12);
  const child = fork(fileURLToPath(import.meta.url), ["--receiver", mode, key.toString("hex"), salt.toString("hex")], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    execArgv: [...DAEMON_NODE_FLAGS],
  });
  const { port } = await next(child, "ready");
  const socket = createSocket("udp4");
  const seqs = { 1: 0, 2: 0 };
  const send = (ssrc, payloadType, payload) => {
    const seq = seqs[ssrc]++ & 0xffff;
    const header = Buffer.alloc(12);
    header[0] = 0x80;
    header[1] = payloadType;
    header.writeUInt16BE(seq, 2);
    header.writeUInt32BE(ssrc, 8);
    const cipher = createCipheriv("aes-128-gcm", key, iv(salt, ssrc, seq));
    cipher.setAAD(header);
    const body = cipher.update(payload);
    cipher.final();
    socket.send(Buffer.concat([header, body, cipher.getAuthTag()]), port, "127.0.0.1");
  };
  const frameBytes = Math.round((videoKbps * 1000) / 8 / 30);
  const before = await (child.send({ type: "usage" }), next(child, "usage"));
  const start = performance.now();
  let frame = 0;
  let audio = 0;
  // Paced as the simulator paces: each frame's packets at once every 33.3 ms, Opus every 20 ms.
  await new Promise((resolve) => {
    const tick = setInterval(() => {
      const elapsed = performance.now() - start;
      while (frame * (1000 / 30) <= elapsed) {
        // A keyframe every 2 s is about 4 times a delta frame.
        let left = frame % 60 === 0 ? frameBytes * 4 : frameBytes;
        while (left > 0) {
          const size = Math.min(left, 1200);
          send(1, 96, randomBytes(size));
          left -= size;
        }
        frame++;
      }
      while (audio * 20 <= elapsed) {
        send(2, 111, randomBytes(160));
        audio++;
      }
      if (elapsed >= seconds * 1000) {
        clearInterval(tick);
        resolve();
      }
    }, 5);
  });
  await new Promise((r) => setTimeout(r, 200));
  const after = await (child.send({ type: "usage" }), next(child, "usage"));
  child.send({ type: "close" });
  socket.close();
  await new Promise((r) => (child.exitCode !== null ? r() : child.once("exit", r)));
  const cpu = (after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / 1e6;
  return { cpuPerStreamSecond: cpu / seconds, packets: after.packets - before.packets, sent: seqs[1] + seqs[2] };
}

function spread(values) {
  const s = [...values].sort((a, b) => a - b);
  const median = (s[Math.floor((s.length - 1) / 2)] + s[Math.ceil((s.length - 1) / 2)]) / 2;
  const r = (n) => Number(n.toFixed(4));
  return { min: r(s[0]), median: r(median), max: r(s.at(-1)), runs: values.map(r) };
}

async function main() {
  const runs = Number(process.env.RESCUE_BENCH_RUNS ?? 3);
  const seconds = Number(process.env.RESCUE_BENCH_SECONDS ?? 8);
  const videoKbps = Number(process.env.RESCUE_BENCH_VIDEO_KBPS ?? 1000);
  const modes = ["receive", "decrypt"];
  const results = Object.fromEntries(modes.map((m) => [m, []]));
  for (let i = 0; i < runs; i++) for (const mode of modes) results[mode].push(await run(mode, seconds, videoKbps));
  const out = { stream: { videoKbps, fps: 30, audioPacketsPerSecond: 50, secondsPerRun: seconds, runs } };
  for (const mode of modes) {
    out[mode === "receive" ? "udpReceiveOnly" : "udpReceiveAndSrtpDecrypt"] = {
      cpuSecondsPerStreamSecond: spread(results[mode].map((r) => r.cpuPerStreamSecond)),
      packetsPerSecond: Math.round(results[mode].reduce((a, r) => a + r.packets, 0) / runs / seconds),
      receivedOfSent: Number((results[mode].reduce((a, r) => a + r.packets, 0) / results[mode].reduce((a, r) => a + r.sent, 0)).toFixed(4)),
    };
  }
  out.loadavg = (await import("node:os")).loadavg().map((l) => Number(l.toFixed(2)));
  console.log(JSON.stringify(out, null, 2));
}

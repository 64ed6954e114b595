#!/usr/bin/env node
// werift's per-packet receive work that patches/werift+0.24.4.patch changes, alone: SRTP decrypt
// to payload and header (AES-128-GCM, what the DTLS transport calls per packet), the RtpPacket
// built from them, and the clone each track's subscribers get. Packets have the media bench's
// shape: 1,100-byte payloads with an abs-send-time-sized one-byte header extension. Each run is a
// fresh child process; prints JSON with CPU-s per 100,000 packets (min, median, max).
// RESCUE_BENCH_BASE=DIR (another checkout with its node_modules) runs its werift too, interleaved
// (ABBA), and prints both with the ratio. Knobs: RESCUE_BENCH_RUNS (6), RESCUE_BENCH_PACKETS (100000).
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

if (process.argv[2] === "--run") await run(process.argv[3], Number(process.argv[4]));
else main();

/** One measurement with the werift in `tree`'s node_modules; prints CPU-s per 100k packets. */
async function run(tree, count) {
  const { SrtpSession, RtpHeader, RtpPacket, ProtectionProfileAeadAes128Gcm } = await import(
    pathToFileURL(join(tree, "node_modules", "werift", "lib", "index.mjs")).href
  );
  const a = { key: randomBytes(16), salt: randomBytes(12) };
  const b = { key: randomBytes(16), salt: randomBytes(12) };
  const session = (local, remote) =>
    new SrtpSession({
      profile: ProtectionProfileAeadAes128Gcm,
      keys: { localMasterKey: local.key, localMasterSalt: local.salt, remoteMasterKey: remote.key, remoteMasterSalt: remote.salt },
    });
  const sender = session(a, b);
  let receiver = session(b, a);
  const packets = [];
  for (let i = 0; i < 2000; i++) {
    const header = new RtpHeader({
      payloadType: 96,
      sequenceNumber: 60_000 + i,
      timestamp: i * 3000,
      ssrc: 0x1234abcd,
      marker: i % 9 === 0,
      extension: true,
      extensions: [{ id: 3, payload: randomBytes(3) }],
    });
    packets.push(sender.encrypt(randomBytes(1100), header));
  }
  let bytes = 0;
  const before = process.cpuUsage();
  for (let i = 0; i < count; i++) {
    // Each pass over the packets starts a new receiver, so the sequence never goes backwards.
    if (i > 0 && i % packets.length === 0) receiver = session(b, a);
    const [plain, header] = receiver.decryptPayload(packets[i % packets.length]);
    const rtp = new RtpPacket(header, plain.subarray(0, plain.length - header.paddingSize)).clone();
    bytes += rtp.payload.length;
  }
  const used = process.cpuUsage(before);
  if (bytes !== count * 1100) throw new Error(`decrypted ${bytes} bytes, expected ${count * 1100}`);
  console.log(JSON.stringify({ cpuSecondsPer100k: ((used.user + used.system) / 1e6) * (100_000 / count) }));
}

function median(sorted) {
  return (sorted[Math.floor((sorted.length - 1) / 2)] + sorted[Math.ceil((sorted.length - 1) / 2)]) / 2;
}

function spread(values) {
  const sorted = [...values].sort((x, y) => x - y);
  const r = (n) => Number(n.toFixed(4));
  return { min: r(sorted[0]), median: r(median(sorted)), max: r(sorted.at(-1)), runs: values.map(r) };
}

function main() {
  const runs = Number(process.env.RESCUE_BENCH_RUNS ?? 6);
  const count = Number(process.env.RESCUE_BENCH_PACKETS ?? 100_000);
  const base = process.env.RESCUE_BENCH_BASE ? resolve(process.env.RESCUE_BENCH_BASE) : undefined;
  const measure = (tree) => JSON.parse(execFileSync(process.execPath, [fileURLToPath(import.meta.url), "--run", tree, String(count)], { encoding: "utf8" })).cpuSecondsPer100k;
  const figures = { this: [], base: [] };
  for (let i = 0; i < runs; i++) {
    // ABBA when there is a base: load on the machine falls on both alike.
    const order = !base ? ["this"] : i % 2 === 0 ? ["this", "base"] : ["base", "this"];
    for (const which of order) figures[which].push(measure(which === "this" ? root : base));
  }
  const out = { packets: count, payloadBytes: 1100, cpuSecondsPer100kPackets: spread(figures.this) };
  if (base) {
    out.base = { tree: base, cpuSecondsPer100kPackets: spread(figures.base) };
    out.ratioToBase = Number((out.cpuSecondsPer100kPackets.median / out.base.cpuSecondsPer100kPackets.median).toFixed(3));
  }
  out.loadavg = loadavg().map((l) => Number(l.toFixed(2)));
  console.log(JSON.stringify(out, null, 2));
}

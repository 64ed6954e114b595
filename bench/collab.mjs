#!/usr/bin/env node
// Collaboration media benchmark for the chosen design: the customer's device sends to each
// technician over its own werift peer connection (nothing is forwarded by the lead's daemon).
// For 1, 3 and 5 technicians (the lead, who records, plus collaborators), the customer runs in one
// child process and each technician in its own, so CPU is measured per side. Prints one JSON object:
//   customer.cpuPercent        CPU of the customer's process, % of one core, while streaming
//   customer.uplinkKbps        what the customer sends in all (sum of what every technician receives)
//   lead.cpuPercent            CPU of the lead's receiving + recording process
//   lead.downlinkKbps          what the lead receives (one stream, whatever the number of technicians)
//   collaborator.cpuPercent    mean CPU of a collaborator's receiving process
//   forwardingEstimate         the other design, the lead forwarding to N-1 collaborators: its uplink
//                              and an estimate of its CPU from the per-peer sending cost measured here
// Needs the compiled tree (npx tsc -p tsconfig.json). RESCUE_BENCH_SECONDS (default 15), RESCUE_BENCH_COUNTS (1,3,5).
import { fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { next } from "./child.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = (path) => join(root, "dist", path);
const self = fileURLToPath(import.meta.url);

if (process.argv[2] === "--customer") await customerChild(Number(process.argv[3]));
else if (process.argv[2] === "--technician") await technicianChild();
else await main();

function cpuNow() {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e6;
}

/** N customer peers, one per technician, signalling over IPC tagged with the technician's index. */
async function customerChild(n) {
  const { CustomerPeer } = await import(dist("src/customer/peer.js"));
  const peers = Array.from({ length: n }, () => new CustomerPeer({ iceServers: [], loopback: true }));
  peers.forEach((p, i) => p.on("signal", (signal) => process.send({ type: "signal", to: i, signal })));
  process.on("message", async (m) => {
    if (m.type === "signal") await peers[m.from].handleSignal(m.signal);
    else if (m.type === "play") {
      const cpu = cpuNow();
      const started = Date.now();
      await Promise.all(peers.map((p) => p.play(m.seconds)));
      process.send({ type: "played", cpuSeconds: cpuNow() - cpu, wallSeconds: (Date.now() - started) / 1000, frames: peers.map((p) => p.sentVideoFrames) });
    } else if (m.type === "close") {
      await Promise.all(peers.map((p) => p.close()));
      process.disconnect();
    }
  });
  await Promise.all(peers.map((p) => p.start()));
}

async function technicianChild() {
  const { TechnicianPeer } = await import(dist("rescued/peer.js"));
  const peer = new TechnicianPeer({ iceServers: [], loopback: true });
  let cpu = 0;
  peer.on("signal", (signal) => process.send({ type: "signal", signal }));
  peer.on("connected", () => process.send({ type: "connected" }));
  process.on("message", async (m) => {
    if (m.type === "signal") await peer.handleSignal(m.signal);
    else if (m.type === "start") {
      peer.startMedia({ recordPath: m.recordPath ?? null });
      cpu = cpuNow();
    } else if (m.type === "usage") {
      const stats = peer.stats();
      process.send({ type: "usage", cpuSeconds: cpuNow() - cpu, stats });
    } else if (m.type === "close") {
      await peer.close("ended");
      process.disconnect();
    }
  });
  process.send({ type: "ready" });
}

function exited(child) {
  return new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once("exit", resolve)));
}

async function run(n, seconds, dir) {
  const opts = { stdio: ["ignore", "inherit", "inherit", "ipc"] };
  const techs = Array.from({ length: n }, () => fork(self, ["--technician"], opts));
  await Promise.all(techs.map((t) => next(t, "ready")));
  const customer = fork(self, ["--customer", String(n)], opts);
  customer.on("message", (m) => m.type === "signal" && techs[m.to].send({ type: "signal", signal: m.signal }));
  techs.forEach((t, i) => t.on("message", (m) => m.type === "signal" && customer.send({ type: "signal", from: i, signal: m.signal })));
  await Promise.all(techs.map((t) => next(t, "connected")));
  techs.forEach((t, i) => t.send({ type: "start", ...(i === 0 ? { recordPath: join(dir, `lead-${n}.webm`) } : {}) }));
  customer.send({ type: "play", seconds });
  const played = await next(customer, "played");
  // Rates over the last window, read while the stream is still fresh.
  const usage = await Promise.all(techs.map((t) => (t.send({ type: "usage" }), next(t, "usage"))));
  for (const c of [customer, ...techs]) c.send({ type: "close" });
  await Promise.all([customer, ...techs].map(exited));

  const pct = (cpuSeconds) => Number(((cpuSeconds / played.wallSeconds) * 100).toFixed(1));
  const kbps = (u) => u.stats.video.bitrateKbps;
  const leadKbps = kbps(usage[0]);
  const collaborators = usage.slice(1);
  const perPeerSendCpu = played.cpuSeconds / n;
  return {
    technicians: n,
    customer: { cpuPercent: pct(played.cpuSeconds), uplinkKbps: Math.round(usage.reduce((s, u) => s + kbps(u), 0)), framesPerPeer: played.frames },
    lead: { cpuPercent: pct(usage[0].cpuSeconds), downlinkKbps: Math.round(leadKbps), framesReceived: usage[0].stats.video.frames, uplinkKbps: 0 },
    collaborator:
      collaborators.length === 0
        ? null
        : {
            cpuPercent: pct(collaborators.reduce((s, u) => s + u.cpuSeconds, 0) / collaborators.length),
            minFramesReceived: Math.min(...collaborators.map((u) => u.stats.video.frames)),
          },
    forwardingEstimate: {
      customerUplinkKbps: Math.round(leadKbps),
      leadUplinkKbps: Math.round(leadKbps * (n - 1)),
      leadCpuPercent: pct(usage[0].cpuSeconds + perPeerSendCpu * (n - 1)),
    },
  };
}

async function main() {
  const seconds = Number(process.env.RESCUE_BENCH_SECONDS ?? 15);
  const counts = (process.env.RESCUE_BENCH_COUNTS ?? "1,3,5").split(",").map(Number);
  const dir = mkdtempSync(join(tmpdir(), "rescue-bench-collab-"));
  try {
    const results = [];
    for (const n of counts) results.push(await run(n, seconds, dir));
    console.log(JSON.stringify({ design: "customer sends to each technician", seconds, cores: (await import("node:os")).cpus().length, results }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

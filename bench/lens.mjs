#!/usr/bin/env node
// Whole-system Lens benchmark: a real server, the real daemon (rescued, started by the CLI), the CLI
// as scripts run it, and `rescue simulate customer` in its own process streaming 640x480 30 fps at
// about 1 Mbit/s. Run as root (with `ip` and `nft`), the customer runs in a network namespace of
// its own whose UDP leaving it loses 0%, 2% and 5% at random (nftables), as a mobile network does;
// otherwise on loopback at 0% only. Prints one JSON object:
//   startToFirstFrameMs  from launching `rescue session start` to the daemon's first-frame event
//                        (the frame is in the recording file by then), p50/p90 of RUNS sessions at 0%
//   inboundLoss["N%"]    per loss level, over LOSS_RUNS interleaved streams of SECONDS each:
//     cpuSecondsPerStreamSecond  rescued's CPU (user + system, /proc) from the stream's first frame
//                        until stats are read, per stream-second: min, median, max
//     sessionCpuSecondsPerStreamSecond   the whole session (create, join with its DTLS handshake,
//                        start, stream, end, finalise) per stream-second: min, median, max
//     rssMb              rescued's RSS when each stream has played: min, median, max
//     frames             video frames sent and in the file (all runs, whole sessions) and the worst run's share
//     videoPackets       video packets the link lost and NACK recovered, from the daemon's stats
//   daemon.peakRssMb     rescued's peak RSS over the whole bench
// Needs `npm run build` and ffmpeg. Knobs: RESCUE_BENCH_RUNS (10), RESCUE_BENCH_SECONDS (15),
// RESCUE_BENCH_LOSSES ("0,2,5"), RESCUE_BENCH_LOSS_RUNS (3).
import http from "node:http";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { makeClip } from "./clip.mjs";
import { pct, round, startSystem } from "./system.mjs";
import { createNetns, lossUnavailable, netnsUnavailable } from "../test/helpers/netns.mjs";

const RUNS = Number(process.env.RESCUE_BENCH_RUNS ?? 10);
const SECONDS = Number(process.env.RESCUE_BENCH_SECONDS ?? 15);
const LOSS_RUNS = Number(process.env.RESCUE_BENCH_LOSS_RUNS ?? 3);
const TICK = 100; // USER_HZ of /proc/PID/stat

const lossless = netnsUnavailable() ?? lossUnavailable();
const LOSSES = lossless ? [0] : (process.env.RESCUE_BENCH_LOSSES ?? "0,2,5").split(",").map(Number);
if (lossless) console.error(`bench/lens: the customer streams over loopback at 0% loss only (${lossless})`);
const ns = lossless ? undefined : createNetns({ hostInterfacePrefix: "veth" });
const system = await startSystem("lens", { ns });
const { home, server, run, runIn, rescue } = system;
const customer = ns ? runIn : (args) => run(args);
const clip = makeClip(system.work);
try {
  // The pid file holds "PID STARTTIME".
  const pid = Number.parseInt(readFileSync(join(home, "run", "rescued.pid"), "utf8"), 10);

  const firstFrame = [];
  for (let i = 0; i < RUNS; i++) firstFrame.push((await session(2)).startToFirstFrameMs);

  const byLoss = Object.fromEntries(LOSSES.map((l) => [l, []]));
  for (let r = 0; r < LOSS_RUNS; r++) {
    for (const loss of LOSSES) {
      ns?.setLoss(loss);
      const streaming = {};
      const before = procStat(pid);
      const s = await session(SECONDS, (at) => (streaming[at] = procStat(pid)));
      const after = procStat(pid);
      ns?.setLoss(0);
      byLoss[loss].push({
        cpu: (streaming.end.ticks - streaming.start.ticks) / TICK / s.streamSeconds,
        sessionCpu: (after.ticks - before.ticks) / TICK / s.streamSeconds,
        rssMb: streaming.end.rssKb / 1024,
        frames: s.frames,
        sent: s.sent,
        packetsLost: s.video.packetsLost,
        packetsRecovered: s.video.packetsRecovered,
      });
    }
  }
  const inboundLoss = {};
  for (const loss of LOSSES) {
    const runs = byLoss[loss];
    const sent = runs.reduce((a, x) => a + x.sent, 0);
    const recorded = runs.reduce((a, x) => a + x.frames, 0);
    inboundLoss[`${loss}%`] = {
      cpuSecondsPerStreamSecond: spread(runs.map((x) => x.cpu), 4),
      sessionCpuSecondsPerStreamSecond: spread(runs.map((x) => x.sessionCpu), 4),
      rssMb: spread(runs.map((x) => x.rssMb), 1),
      frames: { sent, recorded, worstRunRecordedOfSent: round(Math.min(...runs.map((x) => x.frames / x.sent)), 4) },
      // The loss the link made and NACK repaired, from the daemon's stats when each stream had played.
      videoPackets: { lost: runs.reduce((a, x) => a + x.packetsLost, 0), recovered: runs.reduce((a, x) => a + x.packetsRecovered, 0) },
    };
  }
  console.log(
    JSON.stringify(
      {
        stream: { width: 640, height: 480, fps: 30, kbps: 1000, secondsPerRun: SECONDS, runsPerLossLevel: LOSS_RUNS },
        customerLink: ns ? "network namespace, random UDP loss (nftables)" : `loopback (${lossless})`,
        runs: RUNS,
        startToFirstFrameMs: { p50: pct(firstFrame, 0.5), p90: pct(firstFrame, 0.9), all: firstFrame },
        inboundLoss,
        daemon: { peakRssMb: round(procStat(pid).hwmKb / 1024, 1) },
        loadavg: (await import("node:os")).loadavg().map((l) => round(l)),
      },
      null,
      2,
    ),
  );
} finally {
  await system.close();
  ns?.close();
}

/** min, median, max and every run of `values`, rounded to `digits`. */
function spread(values, digits) {
  const s = [...values].sort((a, b) => a - b);
  const median = (s[Math.floor((s.length - 1) / 2)] + s[Math.ceil((s.length - 1) / 2)]) / 2;
  return { min: round(s[0], digits), median: round(median, digits), max: round(s.at(-1), digits), runs: values.map((v) => round(v, digits)) };
}

/**
 * One Lens session by PIN: create, customer joins, start (timed), stream, end. `mark` is called
 * when the stream's first frame is in and when it has played `seconds`.
 */
async function session(seconds, mark = () => undefined) {
  const s = JSON.parse(await rescue(["session", "new", "--lens", "--pin", "--json"]));
  const sim = customer(["simulate", "customer", "--server", server.url, "--pin", s.pin, "--duration", String(seconds + 30), "--video", clip.video, "--audio", clip.audio, "--json"]);
  await rescue(["session", "wait", s.id, "--status", "waiting", "--timeout", "20", "--json"]);
  const events = await eventStream();
  const t0 = performance.now();
  await rescue(["session", "start", s.id, "--json"]);
  await events.until((e) => e.type === "media" && e.sessionId === s.id && e.event === "first-frame");
  const startToFirstFrameMs = round(performance.now() - t0, 1);
  const streamStart = performance.now();
  mark("start");
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const streamSeconds = (performance.now() - streamStart) / 1000;
  mark("end");
  const stats = JSON.parse(await rescue(["session", "stats", s.id, "--json"]));
  await rescue(["session", "end", s.id]);
  const sent = JSON.parse(await sim.done);
  const stopped = await events.until((e) => e.type === "media" && e.sessionId === s.id && e.event === "recording-stopped");
  events.close();
  // Frames in the file against frames the customer sent, both over the whole session.
  return { startToFirstFrameMs, streamSeconds: round(streamSeconds, 2), frames: stopped.detail.videoFrames, sent: sent.sentVideoFrames, video: stats.video };
}

/** The daemon's NDJSON event stream over its unix socket, from now on. */
function eventStream() {
  const waiters = [];
  const seen = [];
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath: join(home, "run", "rescued.sock"), path: "/api/v1/events", headers: { "rescue-localapi-version": "1" } }, (res) => {
      let buf = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => {
        buf += chunk;
        let i;
        while ((i = buf.indexOf("\n")) >= 0) {
          const e = JSON.parse(buf.slice(0, i));
          buf = buf.slice(i + 1);
          seen.push(e);
          for (const w of [...waiters]) if (w.test(e)) waiters.splice(waiters.indexOf(w), 1), w.resolve(e);
        }
      });
      resolve({
        until: (test) => {
          const found = seen.find(test);
          return found ? Promise.resolve(found) : new Promise((r) => waiters.push({ test, resolve: r }));
        },
        close: () => req.destroy(),
      });
    });
    req.on("error", reject);
  });
}

function procStat(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { ticks: Number(fields[11]) + Number(fields[12]), hwmKb: kb("VmHWM"), rssKb: kb("VmRSS") };
}



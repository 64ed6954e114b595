#!/usr/bin/env node
// Whole-system Lens benchmark: a real server, the real daemon (rescued, started by the CLI), the CLI
// as scripts run it, and `rescue simulate customer` in its own process streaming 640x480 30 fps at
// about 1 Mbit/s. Prints one JSON object:
//   startToFirstFrameMs  from launching `rescue session start` to the daemon's first-frame event
//                        (the frame is in the recording file by then), p50/p90 of RUNS sessions
//   daemon.cpuSecondsPerStreamSecond   of rescued while one SECONDS-long stream plays (from its
//                        first frame until stats are read), the target figure
//   daemon.sessionCpuSecondsPerStreamSecond   the same stream's whole session (create, join with
//                        its DTLS handshake, start, stream, end, finalise) per stream-second
//   daemon.peakRssMb     of rescued
// Needs `npm run build` and ffmpeg. Knobs: RESCUE_BENCH_RUNS (10), RESCUE_BENCH_SECONDS (30).
import http from "node:http";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { makeClip } from "./clip.mjs";
import { pct, round, startSystem } from "./system.mjs";

const RUNS = Number(process.env.RESCUE_BENCH_RUNS ?? 10);
const SECONDS = Number(process.env.RESCUE_BENCH_SECONDS ?? 30);
const TICK = 100; // USER_HZ of /proc/PID/stat

const system = await startSystem("lens");
const { home, server, run, rescue } = system;
const clip = makeClip(system.work);
try {
  // The pid file holds "PID STARTTIME".
  const pid = Number.parseInt(readFileSync(join(home, "run", "rescued.pid"), "utf8"), 10);

  const firstFrame = [];
  for (let i = 0; i < RUNS; i++) firstFrame.push((await session(2)).startToFirstFrameMs);

  const before = procStat(pid);
  const streaming = {};
  const long = await session(SECONDS, (at) => (streaming[at] = procStat(pid)));
  const after = procStat(pid);
  const cpu = (after.ticks - before.ticks) / TICK;
  const streamCpu = (streaming.end.ticks - streaming.start.ticks) / TICK;
  console.log(
    JSON.stringify(
      {
        stream: { width: 640, height: 480, fps: 30, kbps: 1000 },
        runs: RUNS,
        startToFirstFrameMs: { p50: pct(firstFrame, 0.5), p90: pct(firstFrame, 0.9), all: firstFrame },
        daemon: {
          streamSeconds: long.streamSeconds,
          cpuSeconds: round(streamCpu),
          cpuSecondsPerStreamSecond: round(streamCpu / long.streamSeconds, 4),
          sessionCpuSeconds: round(cpu),
          sessionCpuSecondsPerStreamSecond: round(cpu / long.streamSeconds, 4),
          peakRssMb: round(after.hwmKb / 1024, 1),
        },
        recordedFrames: long.frames,
        sentFrames: long.sent,
        loadavg: (await import("node:os")).loadavg().map((l) => round(l)),
      },
      null,
      2,
    ),
  );
} finally {
  await system.close();
}

/**
 * One Lens session by PIN: create, customer joins, start (timed), stream, end. `mark` is called
 * when the stream's first frame is in and when it has played `seconds`.
 */
async function session(seconds, mark = () => undefined) {
  const s = JSON.parse(await rescue(["session", "new", "--lens", "--pin", "--json"]));
  const customer = run(["simulate", "customer", "--server", server.url, "--pin", s.pin, "--duration", String(seconds + 30), "--video", clip.video, "--audio", clip.audio, "--json"]);
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
  const sent = JSON.parse(await customer.done);
  await events.until((e) => e.type === "media" && e.sessionId === s.id && e.event === "recording-stopped");
  events.close();
  return { startToFirstFrameMs, streamSeconds: round(streamSeconds, 2), frames: stats.video.frames, sent: sent.sentVideoFrames };
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
  const hwm = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return { ticks: Number(fields[11]) + Number(fields[12]), hwmKb: Number(hwm?.[1] ?? 0) };
}



// Server benchmark: run after `npx tsc -p tsconfig.json`. The server runs as its own process
// (bin/rescue-server.js); this process holds technician WebSockets open and measures session
// creation over HTTP and customer PIN validation over the customer WebSocket, in two profiles:
//   realistic   TECHNICIANS technicians (100) creating sessions, each with one socket: their daemon (the
//               console and scripts talk to the daemon; a newer connection of a technician replaces the older)
//   worstCase   N technicians (1,000), one socket each: the most sockets a server holds while the first
//               100 of them create the sessions and the customers join (a technician's sockets no longer
//               multiply a push: the old worst case, 100 sockets per technician, cannot be opened any more)
// Besides wall-clock rates (which the machine's other load skews) it prints what the server spent:
// CPU-ms per session (process.cpuUsage of the server via /proc) and write system calls per session
// (/proc/PID/io syscw), both independent of other load.
// PROFILES=realistic,worstCase picks profiles; N, TECHNICIANS, SESSIONS, CONCURRENCY, JOINS resize them; SERVER_NODE_FLAGS (e.g. "--cpu-prof --cpu-prof-dir=DIR") go to the server.
// SEPARATE_CPUS=1 runs the server on CPU 0 and this process and its customers on the others (taskset),
// as if the clients were machines of their own: a push or an answer that wakes a client then does not
// hand it the server's CPU. Either way each join says how often the server's main thread was preempted.
// RESCUE_BENCH_BASE=DIR (another checkout, built) runs its server too, interleaved with this one
// (ROUNDS rounds, default 3, each profile base and current in alternating order, so both see the
// same load), and prints both side by side: the median of each figure, every run, and the ratios.
// The worst case needs about 2 x N file descriptors.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fork } from "node:child_process";
import { Pool } from "undici";
import WebSocket from "ws";
import { apiOf } from "./system.mjs";

const SESSIONS = Number(process.env.SESSIONS ?? 2000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 16);
const JOINS = Number(process.env.JOINS ?? 300);
const CREATORS = Number(process.env.TECHNICIANS ?? 100);
const PROFILES = {
  realistic: { technicians: CREATORS, creators: CREATORS },
  worstCase: { technicians: Math.max(CREATORS, Number(process.env.N ?? 1000)), creators: CREATORS },
};
const chosen = (process.env.PROFILES ?? "realistic,worstCase").split(",").filter((p) => p in PROFILES);

const root = resolve(import.meta.dirname, "..");
const base = process.env.RESCUE_BENCH_BASE ? resolve(process.env.RESCUE_BENCH_BASE) : undefined;
const ROUNDS = Number(process.env.ROUNDS ?? (base ? 3 : 1));
const SEPARATE_CPUS = process.env.SEPARATE_CPUS === "1";
if (SEPARATE_CPUS) {
  const cpus = (await import("node:os")).availableParallelism();
  if (cpus < 2) throw new Error("SEPARATE_CPUS needs at least 2 CPUs");
  // -a: every thread of this process; children (the customers) inherit it.
  execFileSync("taskset", ["-a", "-p", "-c", `1-${cpus - 1}`, String(process.pid)], { stdio: "ignore" });
}

/** The customers' process (a customer is on a machine of their own): see server-customers.mjs. */
const CUSTOMERS = join(import.meta.dirname, "server-customers.mjs");
/** The server's own timing of accepted joins (message in to `joined` out), a histogram on its metrics listener. */
const JOIN_HISTOGRAM = "rescue_customer_join_duration_seconds";

/** How a session push starts on the wire ({ type: "session", session }). */
const PUSH_PREFIX = '{"type":"session",';
const binOf = (tree) => join(tree, "bin/rescue-server.js");
for (const tree of [root, base].filter(Boolean)) {
  if (!existsSync(join(tree, "dist/src/server/cli.js"))) throw new Error(`${tree} is not built: run npx tsc -p tsconfig.json there`);
}

/** Times the kernel took the CPU from the process's main thread (it was runnable, not waiting) so far. */
function preemptions(pid) {
  return Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN);
}

/** CPU ticks (1/100 s; all, and in the kernel) and write system calls of a process so far. */
function usage(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  const syscw = /syscw:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/io`, "utf8"));
  return { ticks: Number(fields[11]) + Number(fields[12]), systemTicks: Number(fields[12]), writes: Number(syscw?.[1] ?? NaN) };
}

const results = {};
for (const name of chosen) {
  if (!base) {
    results[name] = await profile(PROFILES[name], root);
    continue;
  }
  const runs = { base: [], current: [] };
  for (let round = 0; round < ROUNDS; round++) {
    // ABBA order: neither tree always runs first (a warmer page cache, a quieter minute).
    const order = round % 2 === 0 ? ["base", "current"] : ["current", "base"];
    for (const which of order) runs[which].push(await profile(PROFILES[name], which === "base" ? base : root));
  }
  const base_ = medianOf(runs.base);
  const current = medianOf(runs.current);
  results[name] = {
    base: base_,
    current,
    ratio: {
      sessionsPerSecond: round(current.sessionsPerSecond / base_.sessionsPerSecond),
      sessionsPerServerCpuSecond: round(current.sessionsPerServerCpuSecond / base_.sessionsPerServerCpuSecond),
      pinP99: round(current.pinValidation.p99Ms / base_.pinValidation.p99Ms),
    },
    runs,
  };
}
console.log(JSON.stringify({ profiles: results, ...(base ? { base, rounds: ROUNDS } : {}), ...(SEPARATE_CPUS ? { separateCpus: true } : {}), sessionsCreated: SESSIONS, createConcurrency: CONCURRENCY, cpus: (await import("node:os")).cpus().length, loadavg: (await import("node:os")).loadavg().map((l) => round(l)), node: process.version }, null, 2));

/**
 * Quantiles (seconds) of a Prometheus histogram in a text exposition, as PromQL's
 * histogram_quantile estimates them: linearly within the bucket the rank falls in. Undefined when
 * the histogram is not there or empty.
 */
function histogramQuantiles(text, name, percents) {
  const buckets = [...text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\S+)$`, "gm"))].map((m) => ({ le: Number(m[1]), n: Number(m[2]) }));
  const count = buckets.at(-1)?.n;
  if (!count) return undefined;
  const quantiles = percents.map((p) => {
    const rank = (p / 100) * count;
    const i = buckets.findIndex((b) => b.n >= rank);
    const lower = i === 0 ? 0 : buckets[i - 1].le;
    const below = i === 0 ? 0 : buckets[i - 1].n;
    // The +Inf bucket has no upper bound: its lower one is the estimate, as in PromQL.
    if (!Number.isFinite(buckets[i].le)) return lower;
    return lower + ((buckets[i].le - lower) * (rank - below)) / (buckets[i].n - below);
  });
  return Object.assign(quantiles, { count });
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** The median of every numeric figure over several runs of one profile (same shape as one run). */
function medianOf(runs) {
  const walk = (values) => {
    const first = values[0];
    if (typeof first === "number") {
      const sorted = [...values].sort((a, b) => a - b);
      const mid = sorted.length >> 1;
      return round(sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2);
    }
    if (first && typeof first === "object") return Object.fromEntries(Object.keys(first).map((k) => [k, walk(values.map((v) => v[k]))]));
    return first;
  };
  return walk(runs);
}

function round(v) {
  return Math.round(v * 100) / 100;
}

/**
 * One server process with `technicians` technicians, one socket each; the first `creators` of them
 * create SESSIONS sessions (round robin), whose first JOINS PINs customers join.
 */
async function profile({ technicians: N, creators: TECHNICIANS }, tree) {
  const bin = binOf(tree);
  const tmp = mkdtempSync(join(tmpdir(), "rescue-bench-"));
  const data = join(tmp, "data");

  const admin = JSON.parse(execFileSync(process.execPath, [bin, "init", "--data", data, "--json"], { encoding: "utf8" }));
  // This measures throughput from one address, so the caps on sessions and connections make room for it.
  const limitsFile = join(tmp, "limits.json");
  writeFileSync(
    limitsFile,
    JSON.stringify({
      sessions: { livePerTechnician: SESSIONS, liveInAll: SESSIONS, createRate: { burst: SESSIONS, windowMs: 60_000 } },
      // On a loaded machine a thousand sockets opened at once may wait past the default header deadline.
      http: { maxConnections: 2 * (N + JOINS) + 100, maxConnectionsPerSource: N + JOINS + CONCURRENCY + 10, headersTimeoutMs: 60_000, requestTimeoutMs: 120_000 },
    }),
  );
  let stopped = false;
  // Older servers (the base tree may be one) have no metrics listener, and so no timing of their own.
  const metricsFlags = readFileSync(join(tree, "dist/src/server/cli.js"), "utf8").includes("--metrics-port") ? ["--metrics-port", "0"] : [];
  const serverArgs = [...(process.env.SERVER_NODE_FLAGS?.split(" ").filter(Boolean) ?? []), bin, "start", "--data", data, "--port", "0", "--log-level", "warn", "--limits", limitsFile, ...metricsFlags];
  // taskset execs node: the pid stays the server's.
  const server = SEPARATE_CPUS
    ? spawn("taskset", ["-c", "0", process.execPath, ...serverArgs], { stdio: ["ignore", "ignore", "pipe"] })
    : spawn(process.execPath, serverArgs, { stdio: ["ignore", "ignore", "pipe"] });
  let metricsUrl;
  const url = await new Promise((done, fail) => {
    let err = "";
    server.stderr.on("data", (d) => {
      err += d;
      metricsUrl ??= /metrics on (http:\/\/[^"\s]+)\/metrics/.exec(err)?.[1];
      // stderr is a pipe: JSON log lines, whose listening record carries the URL (older servers
      // printed a plain "listening on URL" line; the base tree may be one of them).
      const m = /listening on (https?:\/\/[^"\s]+)/.exec(err);
      if (m) done(m[1]);
    });
    server.on("exit", (code, signal) => {
      if (!stopped) console.error(`server exited ${code ?? signal}: ${err.slice(-4000)}`);
      fail(new Error(`server exited ${code}: ${err}`));
    });
  });
  const wsUrl = url.replace(/^http/, "ws");

  const api = apiOf(url);
  let result;

  try {
    const adminToken = (await api("POST", "/api/v1/auth/login", undefined, admin)).token;
    await api("POST", "/api/v1/admin/groups", adminToken, { name: "Bench", permissions: ["lens", "private", "pin"], settings: { pinExpiryMinutes: 60 } });
    const tokens = [];
    for (let i = 0; i < N; i++) {
      const t = await api("POST", "/api/v1/admin/technicians", adminToken, { email: `bench${i}@example.test`, group: "Bench" });
      tokens.push((await api("POST", "/api/v1/auth/login", undefined, t)).token);
    }

    // One socket per technician; each counts the pushes it receives.
    let pushes = 0;
    const openStart = performance.now();
    const technicianSockets = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        new Promise((done, fail) => {
          const ws = new WebSocket(`${wsUrl}/api/v1/ws`, { headers: { authorization: `Bearer ${tokens[i]}` } });
          ws.on("error", fail);
          ws.on("close", (code, reason) => fail(new Error(`technician socket ${i} closed before its snapshot: ${code} ${reason}`)));
          // Pushes are counted by their opening bytes, not parsed: the client's CPU is shared with the server.
          let ready = false;
          ws.on("message", (d) => {
            if (!ready) {
              if (JSON.parse(String(d)).type === "sessions") (ready = true), done(ws);
            } else if (d.length > PUSH_PREFIX.length && d.toString("latin1", 0, PUSH_PREFIX.length) === PUSH_PREFIX) pushes++;
          });
        }),
      ),
    );
    const openMs = performance.now() - openStart;

    // Session creation: CONCURRENCY clients in parallel, round robin over technicians, over
    // undici's pool (fetch costs this process about as much CPU per request as the server spends).
    const pool = new Pool(url, { connections: CONCURRENCY, pipelining: 1 });
    const create = async (token) => {
      const res = await pool.request({ method: "POST", path: "/api/v1/sessions", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: '{"method":"pin"}' });
      const json = await res.body.json();
      if (res.statusCode !== 201 && res.statusCode !== 200) throw new Error(`POST /api/v1/sessions: ${res.statusCode} ${JSON.stringify(json)}`);
      return json;
    };
    const sessions = [];
    const createLatency = [];
    let next = 0;
    const createUsage = usage(server.pid);
    const clientUsage = process.cpuUsage();
    const createStart = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < SESSIONS) {
          const i = next++;
          const t0 = performance.now();
          sessions.push(await create(tokens[i % TECHNICIANS]));
          createLatency.push(performance.now() - t0);
        }
      }),
    );
    const createSeconds = (performance.now() - createStart) / 1000;
    const createdUsage = usage(server.pid);
    const clientCpu = process.cpuUsage(clientUsage);
    await pool.close();

    // PIN validation: from sending `join` to receiving `joined`, on a fresh customer socket each
    // time, from a process of its own: the pushes this process counts do not delay the answers
    // (though on one machine both still share its cores with the server).
    const preemptedBefore = preemptions(server.pid);
    const customers = fork(CUSTOMERS, { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    customers.send({ url: `${wsUrl}/api/v1/customer/ws`, pins: sessions.slice(0, JOINS).map((s) => s.pin) });
    const joinLatency = await new Promise((done, fail) => {
      customers.once("message", done);
      customers.once("exit", (code) => fail(new Error(`the customers' process exited ${code}`)));
    });
    const preempted = preemptions(server.pid) - preemptedBefore;
    const serverJoin = metricsUrl ? histogramQuantiles(await (await fetch(`${metricsUrl}/metrics`)).text(), JOIN_HISTOGRAM, [50, 99]) : undefined;

    const openSockets = technicianSockets.filter((ws) => ws.readyState === WebSocket.OPEN).length;
    // Each session's creation and its customer's join are pushed to its technician's one socket.
    const expectedPushes = SESSIONS + JOINS;
    // Pushes are in flight for a moment after the last answer.
    for (let i = 0; i < 50 && pushes < expectedPushes; i++) await new Promise((r) => setTimeout(r, 100));
    const serverCpuSeconds = (createdUsage.ticks - createUsage.ticks) / 100;
    result = {
      sessionsPerSecond: round(SESSIONS / createSeconds),
      serverCpuMsPerSession: round((serverCpuSeconds * 1000) / SESSIONS),
      sessionsPerServerCpuSecond: round(SESSIONS / serverCpuSeconds),
      serverKernelCpuMsPerSession: round(((createdUsage.systemTicks - createUsage.systemTicks) * 10) / SESSIONS),
      benchClientCpuMsPerSession: round((clientCpu.user + clientCpu.system) / 1000 / SESSIONS),
      serverWriteSyscallsPerSession: round((createdUsage.writes - createUsage.writes) / SESSIONS),
      // As the customer sees it; `server`: the server's own time, message in to `joined` out
      // (estimated from its histogram's buckets; absent for a server without one).
      pinValidation: {
        p50Ms: round(percentile(joinLatency, 50)),
        p99Ms: round(percentile(joinLatency, 99)),
        samples: joinLatency.length,
        ...(serverJoin ? { server: { p50Ms: round(serverJoin[0] * 1000), p99Ms: round(serverJoin[1] * 1000), samples: serverJoin.count } } : {}),
        serverPreemptionsPerJoin: round(preempted / joinLatency.length),
      },
      openSockets,
      technicians: N,
      creatingTechnicians: TECHNICIANS,
      createLatency: { p50Ms: round(percentile(createLatency, 50)), p99Ms: round(percentile(createLatency, 99)) },
      socketsOpenedInMs: Math.round(openMs),
      sessionPushesReceived: pushes,
      sessionPushesExpected: expectedPushes,
    };
    for (const ws of technicianSockets) ws.terminate();
    customers.removeAllListeners("exit");
    const exited = new Promise((r) => customers.once("exit", r));
    customers.send("close");
    await exited;
  } finally {
    stopped = true;
    server.kill("SIGTERM");
    await new Promise((r) => server.once("exit", r));
    rmSync(tmp, { recursive: true, force: true });
  }
  return result;
}

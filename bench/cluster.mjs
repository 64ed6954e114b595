// Cluster benchmark: run after `npm run pretest`. Starts a throwaway PostgreSQL cluster and
// redis-server, then for each node count in NODES (default 1,2,4) a fresh database and that many
// `rescue-server start` processes sharing it and Redis. This process holds N technician WebSockets
// spread over the nodes, creates sessions over HTTP round robin over the nodes, and times customer
// PIN checks (`join` to `joined`) on fresh customer sockets, also round robin. One machine: read it
// as the design's scaling, with PostgreSQL's own CPU beside it. Prints JSON.
// N=1000 needs about 2 x N file descriptors: `ulimit -n 4096` if lower.
// Env: NODES=1,2,4  N=1000  TECHNICIANS=10  SESSIONS=400  CONCURRENCY=16  JOINS=200
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import pg from "pg";
import WebSocket from "ws";
import { apiOf, pct, root, round } from "./system.mjs";

const NODES = (process.env.NODES ?? "1,2,4").split(",").map(Number);
const N = Number(process.env.N ?? 1000);
const TECHNICIANS = Number(process.env.TECHNICIANS ?? 10);
const SESSIONS = Number(process.env.SESSIONS ?? 400);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 16);
const JOINS = Number(process.env.JOINS ?? 200);
const bin = join(root, "bin/rescue-server.js");
const TICK_MS = 1000 / Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());

const freePort = () =>
  new Promise((done, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => done(port));
    });
  });

const work = mkdtempSync(join(tmpdir(), "rescue-bench-cluster-"));

/** A throwaway PostgreSQL cluster on loopback, as test/helpers/postgres.ts makes it (as `postgres` when root). */
function startPostgres(port) {
  const versions = readdirSync("/usr/lib/postgresql").filter((v) => existsSync(`/usr/lib/postgresql/${v}/bin/initdb`)).sort((a, b) => b - a);
  const pgBin = `/usr/lib/postgresql/${versions[0]}/bin`;
  const isRoot = process.getuid() === 0;
  const exec = (cmd, args) => (isRoot ? execFileSync("runuser", ["-u", "postgres", "--", join(pgBin, cmd), ...args]) : execFileSync(join(pgBin, cmd), args));
  const dir = join(work, "pg");
  execFileSync("mkdir", ["-m", "0700", dir]);
  const password = randomBytes(18).toString("base64url");
  const pwfile = join(dir, "pw");
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (isRoot) {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }));
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }));
    chownSync(work, uid, gid);
    chownSync(dir, uid, gid);
    chownSync(pwfile, uid, gid);
  }
  const data = join(dir, "data");
  exec("initdb", ["-D", data, "-U", "rescue", `--pwfile=${pwfile}`, "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"]);
  rmSync(pwfile);
  const opts = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='${dir}' -c fsync=off -c synchronous_commit=off -c max_connections=300 -c shared_buffers=64MB`;
  exec("pg_ctl", ["-D", data, "-l", join(dir, "log"), "-o", opts, "-w", "-t", "120", "start"]);
  return {
    url: (db) => `postgres://rescue:${encodeURIComponent(password)}@127.0.0.1:${port}/${db}`,
    postmaster: Number(readFileSync(join(data, "postmaster.pid"), "utf8").split("\n")[0]),
    stop: () => exec("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]),
  };
}

/** CPU ms used so far by the postmaster and its backends (live ones, plus those it has reaped). */
function postgresCpuMs(postmaster) {
  const ticks = (pid, withChildren) => {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, "utf8").slice(readFileSync(`/proc/${pid}/stat`, "utf8").lastIndexOf(")") + 2).split(" ");
      // Fields after the command: state ppid ... utime(12) stime(13) cutime(14) cstime(15), 0-based from state.
      return { ppid: Number(f[1]), t: Number(f[11]) + Number(f[12]) + (withChildren ? Number(f[13]) + Number(f[14]) : 0) };
    } catch {
      return { ppid: -1, t: 0 };
    }
  };
  let total = ticks(postmaster, true).t;
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const p = ticks(Number(name), false);
    if (p.ppid === postmaster) total += p.t;
  }
  return total * TICK_MS;
}

function startNode(args, env) {
  const child = spawn(process.execPath, [bin, "start", "--port", "0", "--log-level", "warn", ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] });
  return new Promise((done, fail) => {
    let err = "";
    child.stderr.on("data", (d) => {
      err += d;
      const m = /"msg":"listening on (https?:\/\/[^"\s]+)"/.exec(err);
      if (m) done({ child, url: m[1] });
    });
    child.on("exit", (code) => fail(new Error(`node exited ${code}: ${err}`)));
  });
}

async function stopNode(n) {
  if (n.child.exitCode !== null) return;
  const exited = new Promise((r) => n.child.once("exit", r));
  n.child.kill("SIGTERM");
  await exited;
}

const redisPort = await freePort();
const redis = spawn("redis-server", ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
const postgres = startPostgres(await freePort());
const results = [];
try {
  for (const [round_, count] of NODES.entries()) {
    const dbName = `bench_${round_}`;
    const admin = new pg.Client({ connectionString: postgres.url("postgres") });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${dbName}"`);
    await admin.end();
    execFileSync("redis-cli", ["-p", String(redisPort), "flushall"]);
    const env = { RESCUE_DATABASE_URL: postgres.url(dbName), RESCUE_REDIS_URL: `redis://127.0.0.1:${redisPort}/0` };
    const limitsFile = join(work, `limits-${count}.json`);
    writeFileSync(
      limitsFile,
      JSON.stringify({
        sessions: { livePerTechnician: SESSIONS, liveInAll: SESSIONS, createRate: { burst: SESSIONS * 2, windowMs: 60_000 } },
        http: { maxConnections: 2 * (N + JOINS) + 100, maxConnectionsPerSource: N + JOINS + CONCURRENCY + 10 },
      }),
      { mode: 0o600 },
    );
    const adminAccount = JSON.parse(execFileSync(process.execPath, [bin, "init", "--admin-email", "bench@example.test", "--json"], { env: { ...process.env, ...env }, encoding: "utf8" }));
    const nodes = await Promise.all(Array.from({ length: count }, () => startNode(["--limits", limitsFile], env)));
    const apis = nodes.map((n) => apiOf(n.url));
    const sockets = [];
    try {
      const adminToken = (await apis[0]("POST", "/api/v1/auth/login", undefined, adminAccount)).token;
      await apis[0]("POST", "/api/v1/admin/groups", adminToken, { name: "Bench", permissions: ["lens", "private", "pin"], settings: { pinExpiryMinutes: 60 } });
      const tokens = [];
      for (let i = 0; i < TECHNICIANS; i++) {
        const t = await apis[0]("POST", "/api/v1/admin/technicians", adminToken, { email: `bench${i}@example.test`, group: "Bench" });
        tokens.push((await apis[i % count]("POST", "/api/v1/auth/login", undefined, t)).token);
      }
      const openStart = performance.now();
      for (let i = 0; i < N; i += 100) {
        sockets.push(
          ...(await Promise.all(
            Array.from({ length: Math.min(100, N - i) }, (_, j) =>
              new Promise((done, fail) => {
                const ws = new WebSocket(`${nodes[(i + j) % count].url.replace(/^http/, "ws")}/api/v1/ws`, { headers: { authorization: `Bearer ${tokens[(i + j) % TECHNICIANS]}` } });
                ws.on("error", fail);
                ws.on("message", (d) => JSON.parse(String(d)).type === "sessions" && done(ws));
              }),
            ),
          )),
        );
      }
      const openMs = performance.now() - openStart;

      const cpu0 = postgresCpuMs(postgres.postmaster);
      const sessions = [];
      const createLatency = [];
      let next = 0;
      const createStart = performance.now();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < SESSIONS) {
            const i = next++;
            const t0 = performance.now();
            sessions.push(await apis[i % count]("POST", "/api/v1/sessions", tokens[i % TECHNICIANS], { method: "pin" }));
            createLatency.push(performance.now() - t0);
          }
        }),
      );
      const createMs = performance.now() - createStart;
      const createCpuMs = postgresCpuMs(postgres.postmaster) - cpu0;

      const cpu1 = postgresCpuMs(postgres.postmaster);
      const joinLatency = [];
      const joinStart = performance.now();
      for (const [i, s] of sessions.slice(0, JOINS).entries()) {
        const ws = new WebSocket(`${nodes[i % count].url.replace(/^http/, "ws")}/api/v1/customer/ws`);
        sockets.push(ws);
        await new Promise((done, fail) => (ws.once("open", done), ws.once("error", fail)));
        const t0 = performance.now();
        await new Promise((done, fail) => {
          ws.on("message", (d) => JSON.parse(String(d)).type === "joined" && done());
          ws.once("close", (code, reason) => fail(new Error(`customer closed ${code} ${reason}`)));
          ws.send(JSON.stringify({ type: "join", pin: s.pin }));
        });
        joinLatency.push(performance.now() - t0);
      }
      const joinMs = performance.now() - joinStart;
      const joinCpuMs = postgresCpuMs(postgres.postmaster) - cpu1;

      results.push({
        nodes: count,
        sessionsPerSecond: round(SESSIONS / (createMs / 1000), 1),
        createLatency: { p50Ms: round(pct(createLatency, 0.5), 1), p99Ms: round(pct(createLatency, 0.99), 1) },
        pinCheck: { p50Ms: round(pct(joinLatency, 0.5), 1), p99Ms: round(pct(joinLatency, 0.99), 1), samples: joinLatency.length },
        openTechnicianSockets: sockets.filter((ws) => ws.readyState === WebSocket.OPEN).length - joinLatency.length,
        socketsOpenedInMs: Math.round(openMs),
        // PostgreSQL's own CPU (postmaster and backends) over each phase, as a share of one core.
        postgresCpu: { creatingMs: Math.round(createCpuMs), creatingCores: round(createCpuMs / createMs, 2), pinChecksMs: Math.round(joinCpuMs), pinChecksCores: round(joinCpuMs / joinMs, 2) },
      });
    } finally {
      for (const ws of sockets) ws.terminate();
      await Promise.all(nodes.map(stopNode));
    }
  }
  console.log(JSON.stringify({ results, technicianSockets: N, technicians: TECHNICIANS, sessionsCreated: SESSIONS, createConcurrency: CONCURRENCY, cpus: cpus().length, node: process.version }, null, 2));
} finally {
  postgres.stop();
  redis.kill("SIGTERM");
  await new Promise((r) => redis.once("exit", r));
  rmSync(work, { recursive: true, force: true });
}

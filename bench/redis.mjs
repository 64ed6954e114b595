// Several nodes through Redis, on one machine: what a shared limit and a cross-node push cost.
// Starts a throwaway redis-server (no persistence) and two server nodes in this process on one
// SQLite store; prints JSON. Needs `npm run build` and redis-server on PATH.
//   - buckets: one PIN-guard style take, in process vs in Redis (Lua), sequential p50/p99 in ms,
//     and takes per second with 64 in flight;
//   - signal: a customer's signal to its technician, both on node A vs customer on B and
//     technician on A (through Redis pub/sub), p50/p99 in ms over ROUNDS signals.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { apiOf, pct, root, round } from "./system.mjs";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2000);
const dist = (p) => import(join(root, "dist/src/server", p));
const { initData, startNode } = await dist("index.js");
const { openSqliteStore } = await dist("store/sqlite.js");
const { MemoryBuckets } = await dist("limits/buckets.js");
const { RedisBuckets } = await dist("limits/redis-buckets.js");
const { connectRedis } = await dist("bus/connect.js");

const work = mkdtempSync(join(tmpdir(), "rescue-bench-redis-"));
const port = await new Promise((r) => {
  const s = createServer().listen(0, "127.0.0.1", () => {
    const p = s.address().port;
    s.close(() => r(p));
  });
});
const redisProc = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--dir", work, "--save", "", "--appendonly", "no"], { stdio: "ignore" });
const url = `redis://127.0.0.1:${port}`;
let redis;
for (let i = 0; i < 100 && !redis; i++) {
  redis = await connectRedis(url, "bench").catch(() => new Promise((r) => setTimeout(() => r(undefined), 100)));
}

const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const summary = (xs) => ({ p50: round(pct(xs, 0.5)), p99: round(pct(xs, 0.99)) });

async function bucketFigures(store) {
  const rate = { burst: 1e9, windowMs: 3_600_000 };
  const seq = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = process.hrtime.bigint();
    await store.take(`pin:198.51.100.${i % 200}`, rate);
    seq.push(ms(t0));
  }
  const total = ROUNDS * 5;
  const t0 = process.hrtime.bigint();
  let next = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < total) await store.take(`pin:203.0.113.${next++ % 200}`, rate);
    }),
  );
  return { ...summary(seq), takesPerSecond: Math.round(total / (ms(t0) / 1000)) };
}

const open = (u, headers) =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(u, { headers });
    const queue = [];
    const waiters = [];
    ws.on("message", (d) => {
      const m = JSON.parse(String(d));
      const w = waiters.findIndex((x) => x.type === m.type);
      if (w >= 0) waiters.splice(w, 1)[0].resolve(m);
      else queue.push(m);
    });
    ws.once("open", () =>
      resolve({
        ws,
        send: (m) => ws.send(JSON.stringify(m)),
        next: (type) => {
          const i = queue.findIndex((m) => m.type === type);
          if (i >= 0) return Promise.resolve(queue.splice(i, 1)[0]);
          return new Promise((r) => waiters.push({ type, resolve: r }));
        },
      }),
    );
    ws.once("error", reject);
  });

async function signalFigures(techNode, customerNode, token) {
  const api = apiOf(techNode.url);
  const s = await api("POST", "/api/v1/sessions", token, { method: "pin", name: "Bench" });
  const tech = await open(`${techNode.url.replace("http", "ws")}/api/v1/ws`, { authorization: `Bearer ${token}` });
  await tech.next("sessions");
  const c = await open(`${customerNode.url.replace("http", "ws")}/api/v1/customer/ws`);
  c.send({ type: "join", pin: s.pin, name: "Bench" });
  await c.next("joined");
  c.send({ type: "devices", camera: true, microphone: true });
  c.send({ type: "eula", accepted: true });
  while ((await c.next("status")).status !== "waiting");
  const lat = [];
  for (let i = 0; i < Math.min(ROUNDS, 1000); i++) {
    const t0 = process.hrtime.bigint();
    c.send({ type: "signal", signal: { kind: "candidate", candidate: { candidate: `candidate:${i} 1 udp 1 192.0.2.1 ${1000 + i} typ host` } } });
    await tech.next("signal");
    lat.push(ms(t0));
  }
  await api("POST", `/api/v1/sessions/${s.id}/end`, token);
  tech.ws.close();
  c.ws.close();
  return summary(lat);
}

const dataDir = join(work, "data");
const admin = await initData(dataDir, "bench@example.test");
const store = openSqliteStore(dataDir);
// Limits high enough that the benchmark measures the path, not the refusals.
const limits = { socketMessages: { burst: 1e6, windowMs: 1000 }, sessions: { createRate: { burst: 1e6, windowMs: 1000 } } };
const a = await startNode(store, { redis: url, logLevel: "warn", limits });
const b = await startNode(store, { redis: url, logLevel: "warn", limits });
try {
  const login = await apiOf(a.url)("POST", "/api/v1/auth/login", undefined, { email: admin.email, password: admin.password });
  const result = {
    rounds: ROUNDS,
    buckets: {
      memory: await bucketFigures(new MemoryBuckets(Date.now)),
      redis: await bucketFigures(new RedisBuckets(redis, Date.now, "bench:bucket:")),
    },
    signalMs: {
      sameNode: await signalFigures(a, a, login.token),
      acrossNodes: await signalFigures(a, b, login.token),
    },
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  await Promise.all([a.close(), b.close()]);
  store.close();
  redis.disconnect();
  redisProc.kill("SIGTERM");
  await new Promise((r) => redisProc.once("exit", r));
  rmSync(work, { recursive: true, force: true });
}

// Server benchmark: run after `npx tsc -p tsconfig.json`. The server runs as its own process
// (bin/rescue-server.js); this process holds N technician WebSockets open and measures
// session creation over HTTP and customer PIN validation over the customer WebSocket.
// N=1000 needs about 2 x N file descriptors across the two processes: `ulimit -n 4096` if lower.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import WebSocket from "ws";
import { apiOf } from "./system.mjs";

const N = Number(process.env.N ?? 1000);
const TECHNICIANS = Number(process.env.TECHNICIANS ?? 10);
const SESSIONS = Number(process.env.SESSIONS ?? 2000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 16);
const JOINS = Number(process.env.JOINS ?? 300);

const root = resolve(import.meta.dirname, "..");
const bin = join(root, "bin/rescue-server.js");
const tmp = mkdtempSync(join(tmpdir(), "rescue-bench-"));
const data = join(tmp, "data");

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};
const round = (v) => Math.round(v * 100) / 100;

const admin = JSON.parse(execFileSync(process.execPath, [bin, "init", "--data", data, "--json"], { encoding: "utf8" }));
// This measures throughput from one address, so the caps on sessions and connections make room for it.
const limitsFile = join(tmp, "limits.json");
writeFileSync(
  limitsFile,
  JSON.stringify({
    sessions: { livePerTechnician: SESSIONS, liveInAll: SESSIONS, createRate: { burst: SESSIONS, windowMs: 60_000 } },
    http: { maxConnections: 2 * (N + JOINS) + 100, maxConnectionsPerSource: N + JOINS + CONCURRENCY + 10 },
  }),
);
const server = spawn(process.execPath, [bin, "start", "--data", data, "--port", "0", "--log-level", "warn", "--limits", limitsFile], { stdio: ["ignore", "ignore", "pipe"] });
const url = await new Promise((done, fail) => {
  let err = "";
  server.stderr.on("data", (d) => {
    err += d;
    // stderr is a pipe: JSON log lines; the listening record carries the URL.
    const m = /"msg":"listening on (https?:\/\/[^"\s]+)"/.exec(err);
    if (m) done(m[1]);
  });
  server.on("exit", (code) => fail(new Error(`server exited ${code}: ${err}`)));
});
const wsUrl = url.replace(/^http/, "ws");

const api = apiOf(url);

try {
  const adminToken = (await api("POST", "/api/v1/auth/login", undefined, admin)).token;
  await api("POST", "/api/v1/admin/groups", adminToken, { name: "Bench", permissions: ["lens", "private", "pin"], settings: { pinExpiryMinutes: 60 } });
  const tokens = [];
  for (let i = 0; i < TECHNICIANS; i++) {
    const t = await api("POST", "/api/v1/admin/technicians", adminToken, { email: `bench${i}@example.test`, group: "Bench" });
    tokens.push((await api("POST", "/api/v1/auth/login", undefined, t)).token);
  }

  // N technician sockets, spread over the technicians; each counts the pushes it receives.
  let pushes = 0;
  const openStart = performance.now();
  const technicianSockets = await Promise.all(
    Array.from({ length: N }, (_, i) =>
      new Promise((done, fail) => {
        const ws = new WebSocket(`${wsUrl}/api/v1/ws`, { headers: { authorization: `Bearer ${tokens[i % TECHNICIANS]}` } });
        ws.on("error", fail);
        ws.on("message", (d) => {
          const m = JSON.parse(String(d));
          if (m.type === "sessions") done(ws);
          else if (m.type === "session") pushes++;
        });
      }),
    ),
  );
  const openMs = performance.now() - openStart;

  // Session creation: CONCURRENCY clients in parallel, round robin over technicians.
  const sessions = [];
  const createLatency = [];
  let next = 0;
  const createStart = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < SESSIONS) {
        const i = next++;
        const t0 = performance.now();
        sessions.push(await api("POST", "/api/v1/sessions", tokens[i % TECHNICIANS], { method: "pin" }));
        createLatency.push(performance.now() - t0);
      }
    }),
  );
  const createSeconds = (performance.now() - createStart) / 1000;

  // PIN validation: from sending `join` to receiving `joined`, on a fresh customer socket each time.
  const joinLatency = [];
  const customers = [];
  for (const s of sessions.slice(0, JOINS)) {
    const ws = new WebSocket(`${wsUrl}/api/v1/customer/ws`);
    await new Promise((done, fail) => (ws.once("open", done), ws.once("error", fail)));
    const t0 = performance.now();
    await new Promise((done, fail) => {
      ws.on("message", (d) => JSON.parse(String(d)).type === "joined" && done());
      ws.once("close", (code, reason) => fail(new Error(`customer closed ${code} ${reason}`)));
      ws.send(JSON.stringify({ type: "join", pin: s.pin }));
    });
    joinLatency.push(performance.now() - t0);
    customers.push(ws);
  }

  const openSockets = technicianSockets.filter((ws) => ws.readyState === WebSocket.OPEN).length;
  const expectedPushes = (SESSIONS + JOINS) * (N / TECHNICIANS);
  // Pushes are in flight for a moment after the last answer.
  for (let i = 0; i < 50 && pushes < expectedPushes; i++) await new Promise((r) => setTimeout(r, 100));
  console.log(
    JSON.stringify(
      {
        sessionsPerSecond: round(SESSIONS / createSeconds),
        pinValidation: { p50Ms: round(percentile(joinLatency, 50)), p99Ms: round(percentile(joinLatency, 99)), samples: joinLatency.length },
        openSockets,
        technicians: TECHNICIANS,
        sessionsCreated: SESSIONS,
        createConcurrency: CONCURRENCY,
        createLatency: { p50Ms: round(percentile(createLatency, 50)), p99Ms: round(percentile(createLatency, 99)) },
        socketsOpenedInMs: Math.round(openMs),
        sessionPushesReceived: pushes,
        sessionPushesExpected: expectedPushes,
        cpus: (await import("node:os")).cpus().length,
        node: process.version,
      },
      null,
      2,
    ),
  );
  for (const ws of [...technicianSockets, ...customers]) ws.terminate();
} finally {
  server.kill("SIGTERM");
  await new Promise((r) => server.once("exit", r));
  rmSync(tmp, { recursive: true, force: true });
}

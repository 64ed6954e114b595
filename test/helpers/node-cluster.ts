import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Permission } from "../../src/protocol/index.js";
import { buildDist } from "./build.js";
import { freePort } from "./haproxy.js";
import { runServerCli, startServerNode, type ServerNode } from "./nodes.js";
import { startPostgres, type TestPostgres } from "./postgres.js";
import { startRedis, type TestRedis } from "./redis.js";

export interface NodeCluster {
  pg: TestPostgres;
  redis: TestRedis;
  nodes: ServerNode[];
  /** Each node's metrics listener, http://127.0.0.1:PORT (GET /metrics). */
  metrics: string[];
  /** The fixed public port of each node (so a balancer can be configured before or after). */
  ports: number[];
  adminToken: string;
  /** A JSON request to `base` (a node's or a balancer's URL). */
  api(base: string, method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** A technician in a fresh group with these permissions, made through node 1. */
  technician(permissions: readonly Permission[]): Promise<{ email: string; password: string; group: string }>;
  stop(): Promise<void>;
}

/**
 * `count` real `rescue-server start` processes on one throwaway PostgreSQL database and one
 * redis-server, each on a fixed loopback port with its own metrics port; `args` are added to each
 * node's command line. Session-creation limits are raised so that tests and benches that create
 * many sessions are not throttled.
 */
export async function startNodeCluster(count: number, args: string[] = []): Promise<NodeCluster> {
  const [pg, redis] = await Promise.all([startPostgres(), startRedis(), buildDist()]);
  const database = await pg.database();
  const tmp = mkdtempSync(join(tmpdir(), "rescue-nodes-"));
  const limits = join(tmp, "limits.json");
  writeFileSync(limits, JSON.stringify({ sessions: { createRate: { burst: 100_000, windowMs: 60_000 } } }), { mode: 0o600 });
  const env = { RESCUE_DATABASE_URL: database, RESCUE_REDIS_URL: redis.url };
  const init = await runServerCli(["init", "--admin-email", "boss@example.test", "--json"], env);
  if (init.code !== 0) throw new Error(`init failed: ${init.stderr}`);
  const admin = JSON.parse(init.stdout) as { email: string; password: string };
  const ports: number[] = [];
  const metricPorts: number[] = [];
  for (let i = 0; i < count; i++) {
    ports.push(await freePort());
    metricPorts.push(await freePort());
  }
  const nodes = await Promise.all(
    ports.map((port, i) => startServerNode(["--port", String(port), "--metrics-port", String(metricPorts[i]), "--limits", limits, ...args], env)),
  );

  async function api(base: string, method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; body: any }> {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(20_000) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }
  const login = await api(nodes[0]!.url, "POST", "/api/v1/auth/login", undefined, { email: admin.email, password: admin.password });
  if (login.status !== 200) throw new Error(`admin login failed: ${JSON.stringify(login.body)}`);
  const adminToken = login.body.token as string;
  let counter = 0;

  return {
    pg,
    redis,
    nodes,
    ports,
    metrics: metricPorts.map((p) => `http://127.0.0.1:${p}`),
    adminToken,
    api,
    async technician(permissions) {
      const n = ++counter;
      const group = `group-${n}`;
      const g = await api(nodes[0]!.url, "POST", "/api/v1/admin/groups", adminToken, { name: group, permissions, settings: { maxTechnicians: 5 } });
      if (g.status !== 201) throw new Error(`group: ${JSON.stringify(g.body)}`);
      const t = await api(nodes[0]!.url, "POST", "/api/v1/admin/technicians", adminToken, { email: `tech-${n}@example.test`, group });
      if (t.status !== 201) throw new Error(`technician: ${JSON.stringify(t.body)}`);
      return { email: t.body.email, password: t.body.password, group };
    },
    async stop() {
      await Promise.all(nodes.map((n) => n.stop()));
      await Promise.all([pg.stop(), redis.stop()]);
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/** How many requests a node's metrics counted for `method route` (its route pattern), all statuses. */
export async function servedCount(metricsUrl: string, method: string, route: string): Promise<number> {
  const text = await (await fetch(`${metricsUrl}/metrics`)).text();
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith("rescue_http_request_duration_seconds_count{")) continue;
    if (line.includes(`method="${method}"`) && line.includes(`route="${route}"`)) total += Number(line.split(" ").pop());
  }
  return total;
}

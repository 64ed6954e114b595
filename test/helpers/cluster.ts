import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Group, Permission } from "../../src/protocol/index.js";
import { initData, startNode, type RunningNode, type StartServerOptions } from "../../src/server/index.js";
import { openSqliteStore } from "../../src/server/store/sqlite.js";
import type { Store } from "../../src/server/store/types.js";
import { startRedis, type TestRedis } from "./redis.js";
import { afterEach } from "vitest";
import { apiRequest, type Account, type ApiOptions, type ApiResponse, type WsProbe } from "./server.js";


/** One server node of a TestCluster: its own Hub, Services and HTTP listener. */
export interface TestNode {
  readonly url: string;
  readonly wsUrl: string;
  /** Its id on the Redis bus. */
  readonly id: string;
  readonly running: RunningNode;
  api<T = any>(method: string, path: string, opts?: ApiOptions): Promise<ApiResponse<T>>;
}

export interface TestCluster {
  redis: TestRedis;
  /** The one store every node shares (as PostgreSQL would be shared by separate processes). */
  store: Store;
  nodes: TestNode[];
  admin: Account;
  /** A technician in a fresh group with exactly these permissions, logged in (the token works on every node). */
  technician(permissions: Permission[], settings?: Partial<Group["settings"]>): Promise<Account>;
  login(email: string, password: string): Promise<string>;
  /** Another node on the same store and Redis. */
  addNode(): Promise<TestNode>;
  close(): Promise<void>;
}

let counter = 0;
const unique = () => `${process.pid}-${++counter}`;

/**
 * `count` server nodes in this process on one SQLite store, connected only through a throwaway
 * redis-server: each node has its own Hub, Services, sockets and port, so whatever crosses
 * between them crosses through Redis. `opts` apply to every node (`redis` is set here).
 */
export async function startCluster(count: number, opts: Omit<StartServerOptions, "dataDir" | "redis"> = {}): Promise<TestCluster> {
  const redis = await startRedis();
  const root = mkdtempSync(join(tmpdir(), "rescue-cluster-test-"));
  const dataDir = join(root, "data");
  const adminCreds = await initData(dataDir, `admin-${unique()}@example.test`);
  const store = openSqliteStore(dataDir);
  const options = { logLevel: process.env.RESCUE_LOG_LEVEL ?? "silent", ...opts, redis: redis.url, host: "127.0.0.1", port: 0 };
  const nodes: TestNode[] = [];

  const addNode = async (): Promise<TestNode> => {
    const running = await startNode(store, options);
    const node: TestNode = {
      url: running.url,
      wsUrl: running.url.replace(/^http/, "ws"),
      id: running.node!,
      running,
      api: (method, path, o) => apiRequest(running.url, method, path, o),
    };
    nodes.push(node);
    return node;
  };
  for (let i = 0; i < count; i++) await addNode();

  const login = async (email: string, password: string): Promise<string> => {
    const res = await nodes[0]!.api("POST", "/api/v1/auth/login", { body: { email, password } });
    if (res.status !== 200) throw new Error(`login ${email} failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.token as string;
  };
  const admin = { ...adminCreds, token: await login(adminCreds.email, adminCreds.password) };

  return {
    redis,
    store,
    nodes,
    admin,
    login,
    addNode,
    async technician(permissions, settings) {
      const group = await nodes[0]!.api<Group>("POST", "/api/v1/admin/groups", { token: admin.token, body: { name: `group-${unique()}`, permissions, settings } });
      if (group.status !== 201) throw new Error(`create group failed: ${group.status} ${JSON.stringify(group.body)}`);
      const email = `tech-${unique()}@example.test`;
      const res = await nodes[0]!.api("POST", "/api/v1/admin/technicians", { token: admin.token, body: { email, group: group.body.name } });
      if (res.status !== 201) throw new Error(`add technician failed: ${res.status} ${JSON.stringify(res.body)}`);
      return { email: res.body.email, password: res.body.password, token: await login(res.body.email, res.body.password) };
    },
    async close() {
      await Promise.all(nodes.map((n) => n.running.close()));
      store.close();
      await redis.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/**
 * A test file's clusters and sockets, closed after each test: `const each = clusterPerTest()` at
 * the top (or in a describe), then `cluster = await each.start(count, opts)` and `each.keep(socket)`.
 */
export function clusterPerTest(): { start(count: number, opts?: Omit<StartServerOptions, "dataDir" | "redis">): Promise<TestCluster>; keep(socket: WsProbe): WsProbe } {
  let current: TestCluster | undefined;
  const sockets: WsProbe[] = [];
  afterEach(async () => {
    await Promise.all(sockets.splice(0).map((s) => s.close()));
    await current?.close();
    current = undefined;
  });
  return {
    async start(count, opts) {
      current = await startCluster(count, opts);
      return current;
    },
    keep(socket) {
      sockets.push(socket);
      return socket;
    },
  };
}

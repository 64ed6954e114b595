import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent, fetch as undiciFetch } from "undici";
import { afterAll, afterEach, beforeAll } from "vitest";
import WebSocket from "ws";
import type { Group, Permission } from "../../src/protocol/index.js";
import { initData, startServer, type StartServerOptions } from "../../src/server/index.js";

export interface Account {
  email: string;
  password: string;
  token: string;
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
}

export interface TestServer {
  readonly url: string;
  readonly wsUrl: string;
  readonly dataDir: string;
  /** The metrics listener's http://HOST:PORT, when started with `metrics`. */
  readonly metricsUrl: string | undefined;
  admin: Account;
  /**
   * Any request on the real HTTP API; body is sent as JSON when given. `from` binds the client
   * socket to another loopback address (127.0.0.2 ...), a different client to the server's limits.
   */
  api<T = any>(method: string, path: string, opts?: ApiOptions): Promise<ApiResponse<T>>;
  login(email: string, password: string): Promise<string>;
  createGroup(name: string, permissions: Permission[], settings?: Partial<Group["settings"]>): Promise<Group>;
  addTechnician(opts: { group: string; email?: string; name?: string; admin?: boolean }): Promise<Account>;
  /** A technician in a fresh group with exactly these permissions. */
  technician(permissions: Permission[], settings?: Partial<Group["settings"]>): Promise<Account>;
  /** Stops and starts the server on the same data folder (a new port). */
  restart(): Promise<void>;
  /** Stops the server and removes its data folder. */
  close(): Promise<void>;
}

const agents = new Map<string, Agent>();
/** An HTTP client whose sockets leave from `address` (any of 127.0.0.0/8 works on Linux). */
export function fromAddress(address: string): Agent {
  let agent = agents.get(address);
  if (!agent) agents.set(address, (agent = new Agent({ localAddress: address })));
  return agent;
}

let counter = 0;
const unique = () => `${process.pid}-${++counter}`;

export interface ApiOptions {
  token?: string;
  body?: unknown;
  /** Source address to connect from (a loopback alias), for per-address rules. */
  from?: string;
  headers?: Record<string, string>;
}

/** One JSON API call to `baseUrl + path`; the body is parsed when there is one. */
export async function apiRequest<T = any>(baseUrl: string, method: string, path: string, o: ApiOptions = {}): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...o.headers };
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  if (o.body !== undefined) headers["content-type"] = "application/json";
  const init = { method, headers, body: o.body === undefined ? undefined : JSON.stringify(o.body) };
  const res = o.from ? await undiciFetch(baseUrl + path, { ...init, dispatcher: fromAddress(o.from) }) : await fetch(baseUrl + path, init);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** A real server on 127.0.0.1, port 0, in a temporary data folder, with an admin logged in. */
export async function startTestServer(opts: Omit<StartServerOptions, "dataDir"> = {}): Promise<TestServer> {
  const dataDir = join(mkdtempSync(join(tmpdir(), "rescue-server-test-")), "data");
  const adminCreds = await initData(dataDir, `admin-${unique()}@example.test`);
  const options = { logLevel: process.env.RESCUE_LOG_LEVEL ?? "silent", ...opts, dataDir, host: "127.0.0.1", port: 0 };
  let running = await startServer(options);

  const api = <T = any>(method: string, path: string, o: ApiOptions = {}) => apiRequest<T>(running.url, method, path, o);

  async function login(email: string, password: string): Promise<string> {
    const res = await api("POST", "/api/v1/auth/login", { body: { email, password } });
    if (res.status !== 200) throw new Error(`login ${email} failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.token as string;
  }

  const server: TestServer = {
    get url() {
      return running.url;
    },
    get metricsUrl() {
      return running.metricsUrl;
    },
    get wsUrl() {
      return running.url.replace(/^http/, "ws");
    },
    dataDir,
    admin: { ...adminCreds, token: await login(adminCreds.email, adminCreds.password) },
    api,
    login,
    async createGroup(name, permissions, settings) {
      const res = await api<Group>("POST", "/api/v1/admin/groups", { token: server.admin.token, body: { name, permissions, settings } });
      if (res.status !== 201) throw new Error(`create group failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
    async addTechnician({ group, email = `tech-${unique()}@example.test`, name, admin }) {
      const res = await api("POST", "/api/v1/admin/technicians", { token: server.admin.token, body: { email, group, name, admin } });
      if (res.status !== 201) throw new Error(`add technician failed: ${res.status} ${JSON.stringify(res.body)}`);
      return { email: res.body.email, password: res.body.password, token: await login(res.body.email, res.body.password) };
    },
    async technician(permissions, settings) {
      const group = await server.createGroup(`group-${unique()}`, permissions, settings);
      return server.addTechnician({ group: group.name });
    },
    async restart() {
      await running.close();
      running = await startServer(options);
    },
    async close() {
      await running.close();
      rmSync(join(dataDir, ".."), { recursive: true, force: true });
    },
  };
  return server;
}

export interface WsProbe {
  ws: WebSocket;
  /** The next received message matching `type` (or any), in arrival order. */
  next<T = any>(type?: string, timeoutMs?: number): Promise<T>;
  send(message: unknown): void;
  /** Resolves with the close code and reason. */
  closed: Promise<{ code: number; reason: string }>;
  close(): Promise<void>;
}

/** A WebSocket client that queues parsed messages for `next`. */
export async function openWs(url: string, opts: WebSocket.ClientOptions = {}): Promise<WsProbe> {
  const ws = new WebSocket(url, opts);
  const queue: any[] = [];
  const waiters: { type?: string; resolve: (m: any) => void }[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })));
  ws.on("error", () => undefined);
  ws.on("message", (data) => {
    const msg = JSON.parse(String(data));
    const i = waiters.findIndex((w) => !w.type || w.type === msg.type);
    if (i >= 0) waiters.splice(i, 1)[0]!.resolve(msg);
    else queue.push(msg);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
    ws.once("unexpected-response", (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
  });
  return {
    ws,
    closed,
    send: (m) => ws.send(typeof m === "string" ? m : JSON.stringify(m)),
    next(type, timeoutMs = 5000) {
      const i = queue.findIndex((m) => !type || m.type === type);
      if (i >= 0) return Promise.resolve(queue.splice(i, 1)[0]);
      return new Promise((resolve, reject) => {
        const waiter = { type, resolve: (m: any) => (clearTimeout(timer), resolve(m)) };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`no ${type ?? "message"} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    async close() {
      if (ws.readyState !== ws.CLOSED) {
        ws.close();
        await closed;
      }
    },
  };
}

export function openTechnicianWs(server: TestServer, token: string): Promise<WsProbe> {
  return openWs(`${server.wsUrl}/api/v1/ws`, { headers: { authorization: `Bearer ${token}` } });
}

export function openCustomerWs(server: TestServer, opts: WebSocket.ClientOptions = {}): Promise<WsProbe> {
  return openWs(`${server.wsUrl}/api/v1/customer/ws`, opts);
}

/** A customer who joins with the PIN, grants devices and accepts the EULA: the session is then waiting. */
export async function customerReady(server: TestServer, pin: string): Promise<WsProbe & { joined: any }> {
  const c = await openCustomerWs(server);
  c.send({ type: "join", pin, name: "Test Customer" });
  const joined = await c.next("joined");
  c.send({ type: "devices", camera: true, microphone: true });
  c.send({ type: "eula", accepted: true });
  for (;;) if ((await c.next("status")).status === "waiting") return Object.assign(c, { joined });
}

/**
 * A test file's servers and sockets, closed after each test: `const each = serverPerTest()` at
 * the top, then `server = await each.start(opts)` and `each.keep(socket)` in a test.
 */
export function serverPerTest(): { start(opts?: Omit<StartServerOptions, "dataDir">): Promise<TestServer>; keep(socket: WsProbe): WsProbe } {
  let current: TestServer | undefined;
  const sockets: WsProbe[] = [];
  afterEach(async () => {
    await Promise.all(sockets.splice(0).map((s) => s.close()));
    await current?.close();
    current = undefined;
  });
  return {
    async start(opts) {
      current = await startTestServer(opts);
      return current;
    },
    keep(socket) {
      sockets.push(socket);
      return socket;
    },
  };
}

/**
 * One server for a whole test file (or describe): started before its first test and handed to
 * `started`, closed after its last with every socket passed to the returned `keep`.
 */
export function serverPerFile(started: (server: TestServer) => void, opts: Omit<StartServerOptions, "dataDir"> = {}): (socket: WsProbe) => WsProbe {
  let current: TestServer | undefined;
  const sockets: WsProbe[] = [];
  beforeAll(async () => {
    current = await startTestServer(opts);
    started(current);
  });
  afterAll(async () => {
    for (const s of sockets.splice(0)) await s.close();
    await current?.close();
  });
  return (socket) => {
    sockets.push(socket);
    return socket;
  };
}

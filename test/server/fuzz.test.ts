import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { Session } from "../../src/protocol/index.js";
import { buildDist } from "../helpers/build.js";
import { cliLogin, dropHome, makeHome, rescue } from "../helpers/cli.js";
import { localRequest } from "../helpers/localapi.js";
import { startTestServer, type Account, type TestServer } from "../helpers/server.js";

/**
 * Malformed, oversized and out-of-order input to every HTTP route, both WebSocket protocols and
 * the daemon's local API: no 5xx, no crash, memory bounded, and the records that were there stay
 * as they were. Short here (FUZZ_ROUNDS=40 by default); `FUZZ_ROUNDS=2000 npx vitest run
 * test/server/fuzz.test.ts` runs it long. Seeded (FUZZ_SEED), so a failure can be replayed.
 */
const ROUNDS = Number(process.env.FUZZ_ROUNDS ?? 40);
const SEED = Number(process.env.FUZZ_SEED ?? 20261130);

/** mulberry32: a small seeded generator, enough to replay a run. */
function generator(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  return { next, pick };
}
const rnd = generator(SEED);

const STRINGS = ["", " ", "%ZZ", "../../etc/passwd", "a".repeat(5000), "\u0000\u001b[2J", "null", "123456", "💥".repeat(300), "<script>x</script>", "-1"];
const FIELDS = ["type", "method", "name", "to", "pin", "text", "permissions", "email", "password", "mode", "language", "group", "settings", "comment", "via", "as", "nmae"];

/** A JSON value of any shape, sometimes deep or large. */
function value(depth = 0): unknown {
  const kind = Math.floor(rnd.next() * (depth > 3 ? 6 : 9));
  switch (kind) {
    case 0: return null;
    case 1: return rnd.pick(STRINGS);
    case 2: return rnd.pick([0, -1, 1e308, 2 ** 53 + 1, 0.5, Number.MAX_SAFE_INTEGER]);
    case 3: return rnd.next() < 0.5;
    case 4: return rnd.pick(["lens", "desktop", "pin", "sms", "email", "link", "view", "control", "en"]);
    case 5: return "+9112345678";
    case 6: return Array.from({ length: Math.floor(rnd.next() * 4) }, () => value(depth + 1));
    default: return Object.fromEntries(Array.from({ length: 1 + Math.floor(rnd.next() * 4) }, () => [rnd.pick(FIELDS), value(depth + 1)]));
  }
}

/** A raw request body: JSON of any shape, or something that is not JSON at all. */
function body(): string | undefined {
  const r = rnd.next();
  if (r < 0.1) return undefined;
  if (r < 0.2) return "{not json";
  if (r < 0.25) return JSON.stringify({ text: "x".repeat(70_000) });
  if (r < 0.3) return "[".repeat(5000);
  return JSON.stringify(value());
}

const SERVER_ROUTES: [string, string][] = [
  ["GET", "/"], ["GET", "/pin"], ["GET", "/m/:x"], ["GET", "/lens"], ["GET", "/collaborate/:x"], ["GET", "/assets/:x"],
  ["GET", "/api/v1/config"], ["GET", "/api/v1/me"], ["GET", "/api/v1/openapi.json"],
  ["POST", "/api/v1/auth/login"], ["POST", "/api/v1/auth/logout"],
  ["GET", "/api/v1/sessions"], ["POST", "/api/v1/sessions"], ["GET", "/api/v1/sessions/:x"], ["GET", "/api/v1/sessions/:x/log"],
  ["POST", "/api/v1/sessions/:x/start"], ["POST", "/api/v1/sessions/:x/hold"], ["POST", "/api/v1/sessions/:x/resume"], ["POST", "/api/v1/sessions/:x/end"],
  ["POST", "/api/v1/sessions/:x/chat"], ["POST", "/api/v1/sessions/:x/pin"], ["POST", "/api/v1/sessions/:x/transfer"],
  ["POST", "/api/v1/sessions/:x/invitations"], ["PATCH", "/api/v1/sessions/:x/collaborators/:x"], ["POST", "/api/v1/sessions/:x/collaborators/:x/remove"],
  ["GET", "/api/v1/invitations"], ["POST", "/api/v1/invitations/join"],
  ["GET", "/api/v1/apikeys"], ["POST", "/api/v1/apikeys"], ["DELETE", "/api/v1/apikeys/:x"],
  ["POST", "/api/v1/integration/sessions"], ["POST", "/api/v1/integration/sessions/:x/pin"], ["POST", "/api/v1/delivery/twilio/:x"],
  ["GET", "/api/v1/admin/groups"], ["POST", "/api/v1/admin/groups"], ["PATCH", "/api/v1/admin/groups/:x"],
  ["GET", "/api/v1/admin/technicians"], ["POST", "/api/v1/admin/technicians"],
  ["GET", "/api/v1/admin/external-technicians"], ["POST", "/api/v1/admin/external-technicians"],
];

const LOCAL_ROUTES: [string, string][] = [
  ["GET", "/api/v1/status"], ["POST", "/api/v1/reload"], ["GET", "/api/v1/sessions"], ["POST", "/api/v1/sessions"],
  ["GET", "/api/v1/sessions/:x"], ["POST", "/api/v1/sessions/:x/start"], ["GET", "/api/v1/sessions/:x/stats"], ["GET", "/api/v1/sessions/:x/log"],
  ["POST", "/api/v1/sessions/:x/chat"], ["POST", "/api/v1/sessions/:x/snapshot"], ["POST", "/api/v1/sessions/:x/talk"],
  ["POST", "/api/v1/sessions/:x/invitations"], ["POST", "/api/v1/sessions/:x/transfer"], ["GET", "/api/v1/recordings"],
  ["GET", "/api/v1/recordings/show?ref=:x"], ["POST", "/api/v1/recordings/delete"],
  ["GET", "/api/v1/invitations"], ["POST", "/api/v1/join"], ["GET", "/api/v1/apikeys"], ["POST", "/api/v1/apikeys"],
];

const fill = (path: string) => path.replace(/:x/g, () => encodeURIComponent(rnd.pick(STRINGS)).slice(0, 3000) || "x").replace(/%25ZZ/, "%ZZ");

let server: TestServer;
let tech: Account;
let home: string;
let known: Session;
beforeAll(async () => {
  await buildDist();
  server = await startTestServer();
  tech = await server.technician(["lens", "private", "pin", "link", "sms", "chat", "record", "transfer", "invite-internal", "invite-external"]);
  known = Session.parse((await server.api("POST", "/api/v1/sessions", { token: tech.token, body: { method: "pin", name: "Kept" } })).body);
  home = makeHome();
  await cliLogin(home, server.url, tech.email, tech.password);
  expect((await rescue(home, ["daemon", "start", "--json"])).code).toBe(0);
}, 120_000);
afterAll(async () => {
  if (home) await dropHome(home);
  await server?.close();
});

/** The kept session as its technician reads it, with a fresh login (the fuzz may have logged the old token out). */
const sessionNow = async () => (await server.api("GET", `/api/v1/sessions/${known.id}`, { token: await server.login(tech.email, tech.password) })).body;

describe("fuzz", { timeout: 300_000 }, () => {
  it("every HTTP route answers malformed input without a 5xx; the server keeps its records and memory", async () => {
    const before = await sessionNow();
    const rssBefore = process.memoryUsage().rss;
    const tokens = [undefined, tech.token, server.admin.token, "Bearer x", "a".repeat(9000)];
    const failures: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const [method, route] of SERVER_ROUTES) {
        const path = fill(route) + (rnd.next() < 0.2 ? `?${rnd.pick(["pin=%ZZ", "lang=xx", "code=123456&code=1", "name=" + "n".repeat(3000)])}` : "");
        const payload = method === "GET" ? undefined : body();
        const token = rnd.pick(tokens);
        const headers: Record<string, string> = {};
        if (token) headers.authorization = token.startsWith("Bearer") ? token : `Bearer ${token}`;
        if (payload !== undefined) headers["content-type"] = rnd.next() < 0.9 ? "application/json" : "text/plain";
        const res = await fetch(server.url + path, { method, headers, body: payload });
        await res.arrayBuffer();
        if (res.status >= 500) failures.push(`${method} ${path.slice(0, 80)} -> ${res.status}`);
      }
    }
    expect(failures).toEqual([]);
    expect((await fetch(`${server.url}/pin`)).status).toBe(200);
    expect(await sessionNow()).toEqual(before);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(300 * 1024 * 1024);
  });

  it("both WebSocket protocols take malformed, oversized and out-of-order messages without harm", async () => {
    const before = await sessionNow();
    const wsUrl = server.url.replace(/^http/, "ws");
    const messages = () => [
      JSON.stringify(value()),
      JSON.stringify({ type: rnd.pick(["join", "resume", "devices", "eula", "signal", "chat", "media", "leave", "ping", "reoffer", "nope"]), ...(value() as object) }),
      "{broken",
      Buffer.from([0, 1, 2, 255]),
      JSON.stringify({ type: "chat", text: "y".repeat(70_000) }),
      JSON.stringify({ type: "signal", sessionId: known.id, signal: { kind: "offer", sdp: rnd.pick(STRINGS) } }),
    ];
    for (let round = 0; round < ROUNDS; round++) {
      for (const [path, headers] of [
        ["/api/v1/customer/ws", {}],
        ["/api/v1/ws", { authorization: `Bearer ${tech.token}` }],
      ] as const) {
        const ws = new WebSocket(wsUrl + path, { headers });
        ws.on("error", () => undefined);
        await new Promise<void>((resolve) => {
          ws.once("open", () => {
            for (let i = 0; i < 5; i++) if (ws.readyState === ws.OPEN) ws.send(rnd.pick(messages()));
            setTimeout(() => ws.close(), 20);
          });
          ws.once("close", () => resolve());
          ws.once("unexpected-response", () => resolve());
        });
      }
    }
    expect((await fetch(`${server.url}/pin`)).status).toBe(200);
    const after = await sessionNow();
    expect(after).toEqual(before);
  });

  it("the daemon's local API answers malformed input without a 5xx and keeps running", async () => {
    const failures: string[] = [];
    for (let round = 0; round < Math.max(5, Math.floor(ROUNDS / 4)); round++) {
      for (const [method, route] of LOCAL_ROUTES) {
        const path = fill(route);
        const raw = method === "GET" ? undefined : body();
        let parsed: unknown = raw;
        try {
          parsed = raw === undefined ? undefined : JSON.parse(raw);
        } catch {
          // sent as a JSON string of the broken text
        }
        const res = await localRequest(home, method, path, { body: parsed });
        if (res.status >= 500) failures.push(`${method} ${path.slice(0, 80)} -> ${res.status} ${res.text.slice(0, 120)}`);
      }
    }
    expect(failures).toEqual([]);
    expect((await rescue(home, ["daemon", "status", "--json"])).json().backend.state).toBe("connected");
  });
});

import { describe, expect, it } from "vitest";
import { ErrorBody, Session, type Permission } from "../../src/protocol/index.js";
import { clusterPerTest, type TestCluster } from "../helpers/cluster.js";
import { openWs, serverPerTest, type ApiResponse, type WsProbe } from "../helpers/server.js";

// Lens actions have their own token bucket: a flood of them is refused with 429 (nothing logged),
// and neither a Lens flood nor a chat flood uses up the other's budget. On one node (in-process
// buckets) and across nodes (Redis buckets).

const LEAD: Permission[] = ["lens", "private", "pin", "chat"];
const POINTER = { action: "draw", shape: { kind: "pointer", x: 0.25, y: 0.75 }, color: "red" };
const LIMITS = { chat: { burst: 4, windowMs: 600_000 }, lens: { burst: 6, windowMs: 600_000 } };

type Api = (method: string, path: string, opts?: { token?: string; body?: unknown }) => Promise<ApiResponse>;

/** A running Lens session of a fresh technician; the customer joins on `customerWsUrl`. */
async function activeLensSession(api: Api, token: string, customerWsUrl: string, keep: (s: WsProbe) => void): Promise<string> {
  const created = await api("POST", "/api/v1/sessions", { token, body: { type: "lens", method: "pin" } });
  expect(created.status).toBe(201);
  const s = Session.parse(created.body);
  const c = await openWs(`${customerWsUrl}/api/v1/customer/ws`);
  keep(c);
  c.send({ type: "join", pin: s.pin, name: "Pat" });
  await c.next("joined");
  c.send({ type: "devices", camera: true, microphone: true });
  c.send({ type: "eula", accepted: true });
  while ((await c.next("status")).status !== "waiting");
  expect((await api("POST", `/api/v1/sessions/${s.id}/start`, { token })).status).toBe(200);
  return s.id;
}

const count = async (api: Api, token: string, id: string, event: string) =>
  ((await api("GET", `/api/v1/sessions/${id}/log`, { token })).body as { event: string }[]).filter((e) => e.event === event).length;

/** `n` requests at once, spread over `apis` in turn. */
const flood = (apis: Api[], n: number, path: string, token: string, body: unknown) =>
  Promise.all(Array.from({ length: n }, (_, i) => apis[i % apis.length]!("POST", path, { token, body })));

async function lensFloodLeavesChat(apis: Api[], token: string, id: string) {
  const answers = await flood(apis, 40, `/api/v1/sessions/${id}/lens`, token, POINTER);
  const taken = answers.filter((a) => a.status === 200);
  const refused = answers.filter((a) => a.status === 429);
  expect(taken.length + refused.length).toBe(40);
  // The burst, and at most one token refilled while the flood ran (600 s window).
  expect(taken.length).toBeGreaterThanOrEqual(LIMITS.lens.burst);
  expect(taken.length).toBeLessThanOrEqual(LIMITS.lens.burst + 1);
  expect(ErrorBody.parse(refused[0]!.body).error).toMatchObject({ code: "rate_limited", details: { retryAfterSeconds: expect.any(Number) } });
  expect(ErrorBody.parse(refused[0]!.body).error.message).toContain("Lens");
  // Refused actions were neither logged nor delivered.
  expect(await count(apis[0]!, token, id, "annotation")).toBe(taken.length);
  // Chat still has its whole budget.
  for (let i = 0; i < LIMITS.chat.burst; i++) {
    const chat = await apis[i % apis.length]!("POST", `/api/v1/sessions/${id}/chat`, { token, body: { text: `still here ${i}` } });
    expect(chat.status, JSON.stringify(chat.body)).toBeLessThan(300);
  }
}

async function chatFloodLeavesLens(apis: Api[], token: string, id: string) {
  const chats = await flood(apis, 30, `/api/v1/sessions/${id}/chat`, token, { text: "spam" });
  expect(chats.filter((a) => a.status < 300).length).toBeLessThanOrEqual(LIMITS.chat.burst + 1);
  expect(chats.filter((a) => a.status === 429).length).toBeGreaterThanOrEqual(30 - LIMITS.chat.burst - 1);
  for (let i = 0; i < LIMITS.lens.burst; i++) {
    const drawn = await apis[i % apis.length]!("POST", `/api/v1/sessions/${id}/lens`, { token, body: POINTER });
    expect(drawn.status, JSON.stringify(drawn.body)).toBe(200);
  }
}

describe("Lens actions have their own rate limit (one node)", () => {
  const each = serverPerTest();

  it("attack: a flood of Lens actions is refused with 429 while chat keeps working", async () => {
    const server = await each.start({ limits: LIMITS });
    const tech = await server.technician(LEAD);
    const id = await activeLensSession(server.api, tech.token, server.wsUrl, each.keep);
    await lensFloodLeavesChat([server.api], tech.token, id);
  });

  it("a chat flood does not use up the Lens budget", async () => {
    const server = await each.start({ limits: LIMITS });
    const tech = await server.technician(LEAD);
    const id = await activeLensSession(server.api, tech.token, server.wsUrl, each.keep);
    await chatFloodLeavesLens([server.api], tech.token, id);
  });
});

describe("Lens actions have their own rate limit (two nodes, Redis buckets)", () => {
  const each = clusterPerTest();
  let cluster: TestCluster | undefined;

  it("attack: a Lens flood spread over both nodes is held to one budget; chat keeps working, and a chat flood leaves drawing alone", async () => {
    cluster = await each.start(2, { limits: LIMITS });
    const [a, b] = cluster.nodes.map((n) => n.api.bind(n)) as [Api, Api];
    const drawer = await cluster.technician(LEAD);
    const first = await activeLensSession(a, drawer.token, cluster.nodes[1]!.wsUrl, each.keep);
    await lensFloodLeavesChat([a, b], drawer.token, first);

    const chatter = await cluster.technician(LEAD);
    const second = await activeLensSession(b, chatter.token, cluster.nodes[0]!.wsUrl, each.keep);
    await chatFloodLeavesLens([a, b], chatter.token, second);
  });
});

import { describe, expect, it } from "vitest";
import { InviteResponse, JoinResponse, type Permission } from "../../src/protocol/index.js";
import { clusterPerTest, type TestCluster, type TestNode } from "../helpers/cluster.js";
import { openWs, serverPerTest, type ApiResponse, type WsProbe } from "../helpers/server.js";

// A collaborator's Lens action is answered only once the lead's daemon (here a WebSocket client
// speaking its part of the protocol) says what became of it: delivered, not delivered and why,
// or nothing (timeout). Nobody but the lead's daemon can answer for it.

const LEAD: Permission[] = ["lens", "private", "pin", "chat", "invite-external", "invite-unlisted"];
const CIRCLE = { action: "draw", shape: { kind: "circle", x: 0.4, y: 0.4, r: 0.1 }, color: "green" };

type Api = (method: string, path: string, opts?: { token?: string; body?: unknown }) => Promise<ApiResponse>;

/**
 * A running Lens session led by a fresh technician whose daemon is `leadWs` (opened on
 * `leadWsUrl`), the customer on `customerWsUrl`, and an external collaborator with annotate.
 */
async function scene(api: Api, technician: () => Promise<{ token: string }>, leadWsUrl: string, customerWsUrl: string, keep: (s: WsProbe) => void) {
  const lead = await technician();
  const created = await api("POST", "/api/v1/sessions", { token: lead.token, body: { type: "lens", method: "pin" } });
  expect(created.status).toBe(201);
  const id: string = created.body.id;
  const customer = await openWs(`${customerWsUrl}/api/v1/customer/ws`);
  keep(customer);
  customer.send({ type: "join", pin: created.body.pin, name: "Pat" });
  await customer.next("joined");
  customer.send({ type: "devices", camera: true, microphone: true });
  customer.send({ type: "eula", accepted: true });
  while ((await customer.next("status")).status !== "waiting");
  expect((await api("POST", `/api/v1/sessions/${id}/start`, { token: lead.token })).status).toBe(200);
  const leadWs = await openWs(`${leadWsUrl}/api/v1/ws`, { headers: { authorization: `Bearer ${lead.token}` } });
  keep(leadWs);
  await leadWs.next("sessions");
  const invited = await api("POST", `/api/v1/sessions/${id}/invitations`, { token: lead.token, body: { kind: "external", via: "pin", permissions: ["view", "annotate"] } });
  expect(invited.status).toBe(201);
  const joined = JoinResponse.parse((await api("POST", "/api/v1/invitations/join", { body: { pin: InviteResponse.parse(invited.body).pin } })).body);
  return { lead, id, leadWs, collaborator: joined };
}

const annotations = async (api: Api, token: string, id: string) =>
  ((await api("GET", `/api/v1/sessions/${id}/log`, { token })).body as { event: string }[]).filter((e) => e.event === "annotation");

describe("a collaborator's Lens action is confirmed by the lead's daemon", () => {
  const each = serverPerTest();

  it("answers after the lead's daemon delivered it, with that daemon's words when it could not, and logs only what was delivered", async () => {
    const server = await each.start();
    const s = await scene(server.api, () => server.technician(LEAD), server.wsUrl, server.wsUrl, each.keep);

    // Not answered while the lead's daemon has not confirmed.
    let answered = false;
    const drawing = server.api("POST", `/api/v1/sessions/${s.id}/lens`, { token: s.collaborator.token, body: CIRCLE }).finally(() => (answered = true));
    const relayed = await s.leadWs.next("lens");
    await new Promise((r) => setTimeout(r, 300));
    expect(answered).toBe(false);
    s.leadWs.send({ type: "lens-result", sessionId: s.id, ref: relayed.ref, result: { delivered: true } });
    const drawn = await drawing;
    expect(drawn.status, JSON.stringify(drawn.body)).toBe(200);
    expect(drawn.body).toEqual({ sessionId: s.id, delivery: "relayed" });
    expect(await annotations(server.api, s.lead.token, s.id)).toHaveLength(1);

    // The lead's daemon could not deliver (the page's channel closed): the collaborator hears why.
    const failing = server.api("POST", `/api/v1/sessions/${s.id}/lens`, { token: s.collaborator.token, body: { action: "erase", all: true } });
    const second = await s.leadWs.next("lens");
    expect(second.action).toEqual({ action: "erase", all: true });
    s.leadWs.send({ type: "lens-result", sessionId: s.id, ref: second.ref, result: { delivered: false, message: "the customer's page has no open Lens channel" } });
    const failed = await failing;
    expect(failed.status).toBe(409);
    expect(failed.body.error).toMatchObject({ code: "conflict" });
    expect(failed.body.error.message).toContain("the customer's page has no open Lens channel");
    expect(await annotations(server.api, s.lead.token, s.id)).toHaveLength(1);
  });

  it("times out when the lead's daemon does not answer, and refuses at once when the lead has no daemon connected", async () => {
    const server = await each.start();
    const s = await scene(server.api, () => server.technician(LEAD), server.wsUrl, server.wsUrl, each.keep);
    const started = Date.now();
    const silent = await server.api("POST", `/api/v1/sessions/${s.id}/lens`, { token: s.collaborator.token, body: CIRCLE });
    expect(silent.status).toBe(504);
    expect(silent.body.error.code).toBe("timeout");
    expect(silent.body.error.message).toContain("did not confirm");
    expect(Date.now() - started).toBeGreaterThanOrEqual(7_000);
    expect(await annotations(server.api, s.lead.token, s.id)).toHaveLength(0);

    await s.leadWs.close();
    await new Promise((r) => setTimeout(r, 200));
    const offline = await server.api("POST", `/api/v1/sessions/${s.id}/lens`, { token: s.collaborator.token, body: CIRCLE });
    expect(offline.status).toBe(409);
    expect(offline.body.error.message).toContain("no daemon connected");
  }, 30_000);

  it("attack: the collaborator's own connection answers for the lead's daemon: ignored, the action still waits for the lead", async () => {
    const server = await each.start();
    const s = await scene(server.api, () => server.technician(LEAD), server.wsUrl, server.wsUrl, each.keep);
    const own = await openWs(`${server.wsUrl}/api/v1/ws`, { headers: { authorization: `Bearer ${s.collaborator.token}` } });
    each.keep(own);
    await own.next("sessions");
    let answered = false;
    const drawing = server.api("POST", `/api/v1/sessions/${s.id}/lens`, { token: s.collaborator.token, body: CIRCLE }).finally(() => (answered = true));
    const relayed = await s.leadWs.next("lens");
    // The ref travels only to the lead's sockets; even knowing it, a forged answer does not count.
    await expect(own.next("lens", 300)).rejects.toThrow();
    own.send({ type: "lens-result", sessionId: s.id, ref: relayed.ref, result: { delivered: false, message: "forged" } });
    await new Promise((r) => setTimeout(r, 500));
    expect(answered).toBe(false);
    s.leadWs.send({ type: "lens-result", sessionId: s.id, ref: relayed.ref, result: { delivered: true } });
    const drawn = await drawing;
    expect(drawn.status).toBe(200);
    expect(drawn.body).toEqual({ sessionId: s.id, delivery: "relayed" });
  });
});

describe("across nodes", () => {
  const each = clusterPerTest();
  let cluster: TestCluster | undefined;

  it("the collaborator on node B is answered with the confirmation of the lead's daemon on node A", async () => {
    cluster = await each.start(2);
    const [a, b] = cluster.nodes as [TestNode, TestNode];
    const api: Api = (m, p, o) => b.api(m, p, o);
    const s = await scene(api, () => cluster!.technician(LEAD), a.wsUrl, b.wsUrl, each.keep);
    const drawing = b.api("POST", `/api/v1/sessions/${s.id}/lens`, { token: s.collaborator.token, body: { action: "freeze" } });
    const relayed = await s.leadWs.next("lens", 10_000);
    expect(relayed).toMatchObject({ sessionId: s.id, action: { action: "freeze" } });
    s.leadWs.send({ type: "lens-result", sessionId: s.id, ref: relayed.ref, result: { delivered: true } });
    const frozen = await drawing;
    expect(frozen.status, JSON.stringify(frozen.body)).toBe(200);
    expect(frozen.body).toEqual({ sessionId: s.id, delivery: "relayed" });
    const log = (await a.api("GET", `/api/v1/sessions/${s.id}/log`, { token: s.lead.token })).body as { event: string; by?: string }[];
    expect(log.find((e) => e.event === "freeze")).toMatchObject({ by: s.collaborator.as });
  });
});

import { describe, expect, it } from "vitest";
import { Session, WS_CLOSE, type Permission } from "../../src/protocol/index.js";
import { clusterPerTest, type TestCluster, type TestNode } from "../helpers/cluster.js";
import { openWs, type WsProbe } from "../helpers/server.js";

// Several server nodes on one store, linked only through Redis: a technician on node A, the
// customer on node B and a collaborator on node C are in one session.

const LEAD: Permission[] = ["lens", "private", "pin", "chat", "record", "invite-internal", "transfer"];
const OFFER = { kind: "offer", sdp: "v=0 offer" } as const;
const ANSWER = { kind: "answer", sdp: "v=0 answer" } as const;
const CANDIDATE = { kind: "candidate", candidate: { candidate: "candidate:1 1 udp 2122260223 192.0.2.7 50000 typ host", sdpMid: "0", sdpMLineIndex: 0 } } as const;

const each = clusterPerTest();
let cluster: TestCluster | undefined;
const keep = each.keep;
const technicianWs = async (node: TestNode, token: string) => {
  const ws = keep(await openWs(`${node.wsUrl}/api/v1/ws`, { headers: { authorization: `Bearer ${token}` } }));
  await ws.next("sessions");
  return ws;
};
const customerWs = async (node: TestNode) => keep(await openWs(`${node.wsUrl}/api/v1/customer/ws`));

/** The next `session` push for session `id` with `status`. */
async function pushed(ws: WsProbe, id: string, status: string): Promise<Session> {
  for (;;) {
    const m = await ws.next("session", 10_000);
    if (m.session.id === id && m.session.status === status) return m.session;
  }
}

/** The customer joins on `node`, grants devices and accepts the EULA: the session is waiting. */
async function customerReady(node: TestNode, pin: string) {
  const c = await customerWs(node);
  c.send({ type: "join", pin, name: "Pat" });
  const joined = await c.next("joined");
  c.send({ type: "devices", camera: true, microphone: true });
  c.send({ type: "eula", accepted: true });
  for (;;) if ((await c.next("status")).status === "waiting") return Object.assign(c, { joined });
}

async function newSession(node: TestNode, token: string): Promise<Session> {
  const res = await node.api("POST", "/api/v1/sessions", { token, body: { method: "pin", name: "Pat" } });
  expect(res.status).toBe(201);
  return Session.parse(res.body);
}

const logOf = async (node: TestNode, token: string, id: string) => (await node.api("GET", `/api/v1/sessions/${id}/log`, { token })).body as { event: string; [k: string]: unknown }[];

describe("several nodes through Redis", () => {
  it("technician on A, customer on B, collaborator on C: status, bell push, offer, answer, candidates, chat, peers and reoffer cross nodes", async () => {
    cluster = await each.start(3);
    const [a, b, c] = cluster.nodes as [TestNode, TestNode, TestNode];
    const lead = await cluster.technician(LEAD);
    const helper = await cluster.technician(["lens", "private", "pin", "chat"]);
    const leadWs = await technicianWs(a, lead.token);
    const helperWs = await technicianWs(c, helper.token);

    const s = await newSession(c, lead.token);
    await pushed(leadWs, s.id, "connecting");
    const customer = await customerReady(b, s.pin!);
    // The push that makes the daemon ring the bell: the session is Waiting, seen on node A.
    await pushed(leadWs, s.id, "waiting");

    expect((await c.api("POST", `/api/v1/sessions/${s.id}/start`, { token: lead.token })).status).toBe(200);
    expect((await customer.next("status")).status).toBe("active");
    await pushed(leadWs, s.id, "active");

    // Offer and candidates from the customer on B reach the lead on A; the answer and candidates go back.
    customer.send({ type: "signal", signal: OFFER });
    customer.send({ type: "signal", signal: CANDIDATE });
    expect(await leadWs.next("signal")).toEqual({ type: "signal", sessionId: s.id, signal: OFFER });
    expect(await leadWs.next("signal")).toEqual({ type: "signal", sessionId: s.id, signal: CANDIDATE });
    leadWs.send({ type: "signal", sessionId: s.id, signal: ANSWER });
    leadWs.send({ type: "signal", sessionId: s.id, signal: CANDIDATE });
    expect(await customer.next("signal")).toEqual({ type: "signal", signal: ANSWER });
    expect(await customer.next("signal")).toEqual({ type: "signal", signal: CANDIDATE });

    // Chat both ways.
    leadWs.send({ type: "chat", sessionId: s.id, text: "hello from A" });
    expect((await customer.next("chat")).message).toMatchObject({ from: "technician", text: "hello from A" });
    expect((await leadWs.next("chat")).message.text).toBe("hello from A");
    customer.send({ type: "chat", text: "hi from B" });
    expect((await leadWs.next("chat")).message).toMatchObject({ from: "customer", author: "Pat", text: "hi from B" });

    // A reoffer from A asks the customer on B for a new offer.
    leadWs.send({ type: "reoffer", sessionId: s.id });
    expect(await customer.next("peer")).toEqual({ type: "peer", peer: "lead", event: "joined" });

    // The collaborator on C: invited through A, joined through B; the customer offers to them.
    const invited = await a.api("POST", `/api/v1/sessions/${s.id}/invitations`, { token: lead.token, body: { kind: "internal", to: helper.email, permissions: ["view", "chat"] } });
    expect(invited.status).toBe(201);
    expect((await helperWs.next("invitation")).invitation.id).toBe(invited.body.invitation.id);
    expect((await b.api("POST", "/api/v1/invitations/join", { token: helper.token, body: { pin: invited.body.pin } })).status).toBe(200);
    const peer = invited.body.invitation.id as string;
    expect(await customer.next("peer")).toEqual({ type: "peer", peer, event: "joined" });
    customer.send({ type: "signal", peer, signal: OFFER });
    expect(await helperWs.next("signal")).toEqual({ type: "signal", sessionId: s.id, signal: OFFER });
    helperWs.send({ type: "signal", sessionId: s.id, signal: ANSWER });
    expect(await customer.next("signal")).toEqual({ type: "signal", signal: ANSWER, peer });
    customer.send({ type: "chat", text: "both of you" });
    expect((await helperWs.next("chat")).message.text).toBe("both of you");
    expect((await leadWs.next("chat")).message.text).toBe("both of you");

    // Ending the session on C closes the customer's socket on B.
    expect((await c.api("POST", `/api/v1/sessions/${s.id}/end`, { token: lead.token })).status).toBe(200);
    expect((await customer.closed).code).toBe(WS_CLOSE.sessionEnded);
    await pushed(helperWs, s.id, "closed");
  });

  it("a technician's sockets on other nodes close at logout; the signalling of a session without a connected customer is refused", async () => {
    cluster = await each.start(2);
    const [a, b] = cluster.nodes as [TestNode, TestNode];
    const lead = await cluster.technician(LEAD);
    const onA = await technicianWs(a, lead.token);
    const s = await newSession(b, lead.token);
    await pushed(onA, s.id, "connecting");
    // No customer yet, on any node.
    onA.send({ type: "signal", sessionId: s.id, signal: ANSWER });
    expect((await onA.next("error")).code).toBe("conflict");

    expect((await b.api("POST", "/api/v1/auth/logout", { token: lead.token })).status).toBeLessThan(300);
    expect((await onA.closed).code).toBe(WS_CLOSE.unauthenticated);
  });

  it("a technician removed, disabled or given a new password through node B loses their sockets on node A at once (4401) and their token on every node", async () => {
    cluster = await each.start(2);
    const [a, b] = cluster.nodes as [TestNode, TestNode];
    const enc = encodeURIComponent;
    for (const [how, path, method, body, reason] of [
      ["remove", "", "DELETE", undefined, "account removed by an administrator"],
      ["disable", "", "PATCH", { disabled: true }, "account disabled by an administrator"],
      ["reset", "/password", "POST", undefined, "password reset by an administrator; log in again"],
    ] as const) {
      const tech = await cluster.technician(LEAD);
      const onA = await technicianWs(a, tech.token);
      const res = await b.api(method, `/api/v1/admin/technicians/${enc(tech.email)}${path}`, { token: cluster.admin.token, body });
      expect(res.status, `${how}: ${JSON.stringify(res.body)}`).toBe(200);
      expect(await onA.closed, how).toEqual({ code: WS_CLOSE.unauthenticated, reason });
      for (const node of [a, b]) expect((await node.api("GET", "/api/v1/me", { token: tech.token })).status, how).toBe(401);
    }
  });

  it("a technician's newer connection on node B replaces their older one on node A (4409, signed in elsewhere): only the newer gets pushes and offers, and stays online", async () => {
    cluster = await each.start(2);
    const [a, b] = cluster.nodes as [TestNode, TestNode];
    const lead = await cluster.technician(LEAD);
    const s = await newSession(a, lead.token);
    const customer = await customerReady(a, s.pin!);
    const older = await technicianWs(a, lead.token);
    const newer = await technicianWs(b, lead.token);
    expect(await older.closed).toEqual({ code: WS_CLOSE.replaced, reason: expect.stringMatching(/^signed in elsewhere/) });
    // The customer's offer reaches the newer connection alone (the older is closed, not sharing).
    customer.send({ type: "signal", signal: OFFER });
    expect(await newer.next("signal")).toEqual({ type: "signal", sessionId: s.id, signal: OFFER });
    expect((await a.api("POST", `/api/v1/sessions/${s.id}/start`, { token: lead.token })).status).toBe(200);
    await pushed(newer, s.id, "active");
    // Still online (a transfer target would find it): the older's close did not mark it offline.
    const other = await cluster.technician(LEAD);
    const otherWs = await technicianWs(a, other.token);
    const s2 = Session.parse((await a.api("POST", "/api/v1/sessions", { token: other.token, body: { type: "desktop", method: "pin", name: "Pat" } })).body);
    await customerReady(b, s2.pin!);
    await pushed(otherWs, s2.id, "waiting");
    const moved = await a.api("POST", `/api/v1/sessions/${s2.id}/transfer`, { token: other.token, body: { to: lead.email } });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect((await newer.next("session")).session).toMatchObject({ id: s2.id, technician: lead.email });
    // And the newer connection stays: it is not closed in turn.
    await expect(Promise.race([newer.closed, new Promise((r) => setTimeout(() => r("open"), 1_000))])).resolves.toBe("open");
  });

  it("a customer who resumes on node B replaces their socket on node A (4409), and stays present", async () => {
    cluster = await each.start(2);
    const [a, b] = cluster.nodes as [TestNode, TestNode];
    const lead = await cluster.technician(LEAD);
    const leadWs = await technicianWs(a, lead.token);
    const s = await newSession(a, lead.token);
    const first = await customerReady(a, s.pin!);
    expect((await a.api("POST", `/api/v1/sessions/${s.id}/start`, { token: lead.token })).status).toBe(200);

    const again = await customerWs(b);
    again.send({ type: "resume", sessionId: s.id, token: first.joined.resume.token });
    expect(await again.next("joined")).toMatchObject({ sessionId: s.id, resumed: true });
    expect((await first.closed).code).toBe(WS_CLOSE.replaced);

    // The replaced socket did not mark the customer away; the technician was told of the switch once,
    // as a drop and a return. Signals reach the socket on B.
    const session = Session.parse((await a.api("GET", `/api/v1/sessions/${s.id}`, { token: lead.token })).body);
    expect(session.customer?.away ?? null).toBeNull();
    const events = (await logOf(a, lead.token, s.id)).map((e) => e.event);
    expect(events.filter((e) => e === "customer-disconnected")).toHaveLength(1);
    expect(events.slice(-2)).toEqual(["customer-disconnected", "customer-reconnected"]);
    leadWs.send({ type: "signal", sessionId: s.id, signal: ANSWER });
    expect(await again.next("signal")).toEqual({ type: "signal", signal: ANSWER });
  });

  it("a customer's resumes spread over two nodes spend one budget, kept in Redis: past it, either node refuses with 4429 and a retry time", async () => {
    cluster = await each.start(2, { limits: { resume: { burst: 4, windowMs: 60 * 60_000 } } });
    const [a, b] = cluster.nodes as [TestNode, TestNode];
    const lead = await cluster.technician(LEAD);
    const s = await newSession(a, lead.token);
    const first = await customerReady(a, s.pin!);
    let token = first.joined.resume.token as string;
    const answers: (number | "joined")[] = [];
    for (let i = 0; i < 8; i++) {
      // The attack of one holder of the credential, alternating nodes so that no node's own count would stop it.
      const ws = await customerWs(i % 2 ? b : a);
      ws.send({ type: "resume", sessionId: s.id, token, awayMs: 86_400_000 });
      const answer = await Promise.race([ws.next("joined", 30_000).then((j) => ({ token: j.resume.token as string })), ws.closed.then((c) => ({ closed: c }))]);
      if ("token" in answer) {
        token = answer.token;
        answers.push("joined");
        await ws.close();
      } else {
        expect(answer.closed.code).toBe(WS_CLOSE.rateLimited);
        expect(answer.closed.reason).toMatch(/^too many reconnects; retry in \d+ s$/);
        answers.push(answer.closed.code);
      }
    }
    expect(answers).toEqual(["joined", "joined", "joined", "joined", 4429, 4429, 4429, 4429]);
    const reconnected = (await logOf(b, lead.token, s.id)).filter((e) => e.event === "customer-reconnected");
    expect(reconnected).toHaveLength(4);
  });

  it("the gap of a resume on node B that overtakes the old socket's close on node A is measured from A's last contact, never from the customer's claim", async () => {
    // No heartbeat ping during the test: the customer's last message is the last contact.
    cluster = await each.start(2, { heartbeatMs: 60_000 });
    const [a, b] = cluster.nodes as [TestNode, TestNode];
    const lead = await cluster.technician(LEAD);
    const s = await newSession(a, lead.token);
    const first = await customerReady(a, s.pin!);
    first.send({ type: "ping" });
    await first.next("pong");
    const heardAt = Date.now();
    await new Promise((r) => setTimeout(r, 1_500));
    const again = await customerWs(b);
    again.send({ type: "resume", sessionId: s.id, token: first.joined.resume.token, awayMs: 86_400_000 });
    await again.next("joined");
    const tookMs = Date.now() - heardAt;
    const back = (await logOf(b, lead.token, s.id)).at(-1)!;
    expect(back).toMatchObject({ event: "customer-reconnected", reportedAwayMs: 120_000 });
    expect(back.afterMs as number).toBeGreaterThanOrEqual(1_400);
    // A node tells Redis of a contact at most once a second: the figure is at most that much older.
    expect(back.afterMs as number).toBeLessThanOrEqual(tookMs + 1_000);
  });

  it("transfers go to a technician online on another node, never to one offline; presence follows the sockets", async () => {
    cluster = await each.start(2);
    const [a, b] = cluster.nodes as [TestNode, TestNode];
    const lead = await cluster.technician(LEAD);
    const receiver = await cluster.technician(["lens", "private", "pin", "transfer"]);
    const s = await newSession(a, lead.token);
    await customerReady(a, s.pin!);
    expect((await a.api("POST", `/api/v1/sessions/${s.id}/start`, { token: lead.token })).status).toBe(200);
    const transfer = () => a.api("POST", `/api/v1/sessions/${s.id}/transfer`, { token: lead.token, body: { to: receiver.email } });

    const offline = await transfer();
    expect(offline.status).toBe(409);
    expect(offline.body.error.details).toEqual({ reason: "offline" });

    const receiverWs = await technicianWs(b, receiver.token);
    const moved = await transfer();
    expect(moved.status).toBe(200);
    expect(moved.body.technician).toBe(receiver.email);
    await pushed(receiverWs, s.id, "active");

    // Back to the lead, who is not connected anywhere: refused; once the receiver's socket on B closes, they are offline too.
    await receiverWs.close();
    const back = await b.api("POST", `/api/v1/sessions/${s.id}/transfer`, { token: receiver.token, body: { to: lead.email } });
    expect(back.body.error?.details).toEqual({ reason: "offline" });
    const redis = cluster.redis.client();
    await expect.poll(async () => redis.zcard(`rescue:tech:${(await cluster!.store.technicians.byEmail(receiver.email))!.id}`), { timeout: 5_000 }).toBe(0);
  });

  it("a killed node's presence expires: its technician goes offline, its customer is marked away by a live node and resumes there", async () => {
    cluster = await each.start(2, { presenceTtlMs: 1_500, sweepIntervalMs: 200 });
    const [a, b] = cluster.nodes as [TestNode, TestNode];
    const lead = await cluster.technician(LEAD);
    const receiver = await cluster.technician(["lens", "private", "pin"]);
    const leadWs = await technicianWs(a, lead.token);
    const s = await newSession(a, lead.token);
    const customer = await customerReady(b, s.pin!);
    expect((await a.api("POST", `/api/v1/sessions/${s.id}/start`, { token: lead.token })).status).toBe(200);
    await technicianWs(b, receiver.token);
    const redis = cluster.redis.client();
    expect(await redis.get(`rescue:customer:${s.id}`)).toBe(b.id);

    // A node that starts now, and several sweeps, leave a customer held by a live node alone.
    await cluster.addNode();
    await new Promise((r) => setTimeout(r, 2_500));
    expect((await logOf(a, lead.token, s.id)).map((e) => e.event)).not.toContain("customer-disconnected");

    const killedAt = Date.now();
    await b.running.kill();
    await customer.closed;
    // The session is marked away by a live node once B's entry had expired for the reconnection backoff.
    await expect.poll(async () => (await logOf(a, lead.token, s.id)).at(-1)?.event, { timeout: 15_000, interval: 100 }).toBe("customer-disconnected");
    const elapsed = Date.now() - killedAt;
    // Not before: B's last heartbeat (every TTL/3) renewed the entry at most 500 ms before the kill.
    expect(elapsed).toBeGreaterThanOrEqual(1_500 - 500 + 2_000);
    expect((await logOf(a, lead.token, s.id)).at(-1)).toMatchObject({ reason: expect.stringMatching(/server node/), graceMs: 120_000 });
    const away = Session.parse((await a.api("GET", `/api/v1/sessions/${s.id}`, { token: lead.token })).body);
    expect(away.status).toBe("active");
    expect(away.customer?.away).toBeTruthy();

    // The receiver was connected only to B: offline now.
    const refused = await a.api("POST", `/api/v1/sessions/${s.id}/transfer`, { token: lead.token, body: { to: receiver.email } });
    expect(refused.body.error?.details).toEqual({ reason: "offline" });

    // The customer's page resumes on A; signalling goes on there.
    const back = await customerWs(a);
    back.send({ type: "resume", sessionId: s.id, token: customer.joined.resume.token });
    expect(await back.next("joined")).toMatchObject({ resumed: true });
    back.send({ type: "signal", signal: OFFER });
    expect((await leadWs.next("signal")).signal).toEqual(OFFER);
  });

  it("a customer whose node is killed is away within a presence TTL, 2 s and one sweep of the kill, and the drop is logged then", async () => {
    // A TTL long enough that the bound (TTL + 2 s + one sweep) stands well apart from a second
    // TTL counted once the entry was first seen missing (at least 5/3 TTL + 2 s after the kill).
    const ttl = 12_000;
    const sweep = 500;
    const bound = ttl + 2_000 + sweep;
    const deadline = bound + 6_000;
    cluster = await each.start(2, { presenceTtlMs: ttl, sweepIntervalMs: sweep });
    const [a, b] = cluster.nodes as [TestNode, TestNode];
    const lead = await cluster.technician(LEAD);
    const leadWs = await technicianWs(a, lead.token);
    const s = await newSession(a, lead.token);
    const customer = await customerReady(b, s.pin!);
    expect((await a.api("POST", `/api/v1/sessions/${s.id}/start`, { token: lead.token })).status).toBe(200);
    expect(await cluster.redis.client().get(`rescue:customer:${s.id}`)).toBe(b.id);

    const killedAt = Date.now();
    await b.running.kill();
    await customer.closed;
    // The technician on A is told as soon as the sweep marks the customer away.
    let awayAt: number | undefined;
    while (awayAt === undefined) {
      const left = killedAt + deadline - Date.now();
      const m = await leadWs.next("session", Math.max(left, 1)).catch(() => {
        throw new Error(`customer still present ${Date.now() - killedAt} ms after the kill (bound ${bound} ms)`);
      });
      if (m.session.id === s.id && m.session.customer?.away) awayAt = Date.now();
    }
    const elapsed = awayAt - killedAt;
    expect(elapsed).toBeLessThanOrEqual(deadline);
    // Not before B's last heartbeat (at most TTL/3 before the kill) had expired for 2 s.
    expect(elapsed).toBeGreaterThanOrEqual(ttl - ttl / 3 + 2_000 - 500);
    const session = Session.parse((await a.api("GET", `/api/v1/sessions/${s.id}`, { token: lead.token })).body);
    expect(session.status).toBe("active");
    expect(session.customer?.away?.since).toBeTruthy();
    // The drop is in the log when it happened, from the node that noticed, with no return yet.
    const log = await logOf(a, lead.token, s.id);
    const dropped = log.filter((e) => e.event === "customer-disconnected");
    expect(dropped).toHaveLength(1);
    expect(dropped[0]).toMatchObject({ reason: expect.stringMatching(/server node/) });
    const droppedAt = Date.parse(dropped[0]!.at as string) - killedAt;
    expect(droppedAt).toBeGreaterThan(0);
    expect(droppedAt).toBeLessThanOrEqual(elapsed);
    expect(log.map((e) => e.event)).not.toContain("customer-reconnected");
    console.log(JSON.stringify({ customerAwayAfterKillMs: elapsed, boundMs: bound, ttlMs: ttl, sweepMs: sweep }));
  });

  it("a grace period armed on a node that then dies still ends: another node's sweep aborts the session", async () => {
    cluster = await each.start(2, { presenceTtlMs: 1_500, sweepIntervalMs: 200, customerGraceMs: 1_500 });
    const [a, b] = cluster.nodes as [TestNode, TestNode];
    const lead = await cluster.technician(LEAD);
    const leadWs = await technicianWs(a, lead.token);
    const s = await newSession(a, lead.token);
    const customer = await customerReady(b, s.pin!);
    // The customer's connection drops on B: B marks them away and arms its grace timer, then B dies.
    customer.ws.terminate();
    await expect.poll(async () => (await logOf(a, lead.token, s.id)).at(-1)?.event, { timeout: 10_000, interval: 50 }).toBe("customer-disconnected");
    await b.running.kill();
    const aborted = await pushed(leadWs, s.id, "aborted");
    expect(aborted.status).toBe("aborted");
    expect((await logOf(a, lead.token, s.id)).filter((e) => e.event === "aborted")).toHaveLength(1);
  });

  it("a malformed message on the bus is dropped; valid pushes keep flowing", async () => {
    cluster = await each.start(2);
    const [a, b] = cluster.nodes as [TestNode, TestNode];
    const lead = await cluster.technician(LEAD);
    const onA = await technicianWs(a, lead.token);
    const technicianId = (await cluster.store.technicians.byEmail(lead.email))!.id;
    const redis = cluster.redis.client();
    const from = "AAAAAAAAAAAAAAAA";
    // Not JSON, an unknown kind, a push that is not a ServerToTechnician message, an extra field.
    await redis.publish("rescue:bus", "{not json");
    await redis.publish("rescue:bus", JSON.stringify({ kind: "shell", from, command: "rm -rf /" }));
    await redis.publish("rescue:bus", JSON.stringify({ kind: "technician", from, technicianId, message: { type: "signal", sessionId: "x", signal: { kind: "offer" } } }));
    await redis.publish("rescue:bus", JSON.stringify({ kind: "close-token", from, tokenHash: "not-a-hash" }));
    await redis.publish("rescue:bus", JSON.stringify({ kind: "technician", from, technicianId, message: { type: "error", code: "x", message: "m" }, extra: 1 }));
    // Then a real push from node B's API.
    const s = await newSession(b, lead.token);
    expect(await onA.next("session", 10_000)).toMatchObject({ type: "session", session: { id: s.id } });
    // None of the malformed ones reached the socket, and it stays open (close-token was not obeyed).
    await expect(onA.next("signal", 300)).rejects.toThrow(/no signal/);
    await expect(onA.next("error", 300)).rejects.toThrow(/no error/);
    expect(onA.ws.readyState).toBe(onA.ws.OPEN);
  });

  it("PIN guesses spread over two nodes are limited as if on one; so are wrong passwords", async () => {
    cluster = await each.start(2, { limits: { pins: { perSource: { burst: 4, windowMs: 3_600_000 } }, login: { perAccountSource: { burst: 3, windowMs: 3_600_000 } } } });
    const [a, b] = cluster.nodes as [TestNode, TestNode];
    const lead = await cluster.technician(LEAD);
    const s = await newSession(a, lead.token);
    const guess = async (node: TestNode, pin: string) => {
      const c = await customerWs(node);
      c.send({ type: "join", pin });
      return Promise.race([c.next("joined", 10_000).then(() => "joined" as const), c.closed.then((x) => x.code)]);
    };
    const wrong = (i: number) => String((Number(s.pin) + i + 1) % 1_000_000).padStart(6, "0");
    const answers = [await guess(a, wrong(0)), await guess(b, wrong(1)), await guess(a, wrong(2)), await guess(b, wrong(3))];
    expect(answers).toEqual(Array(4).fill(WS_CLOSE.invalidPin));
    // The budget of 4 is spent across both nodes: the next guess is refused on either, even with the right PIN.
    expect(await guess(b, wrong(4))).toBe(WS_CLOSE.rateLimited);
    expect(await guess(a, s.pin!)).toBe(WS_CLOSE.rateLimited);

    const login = (node: TestNode, password: string) => node.api("POST", "/api/v1/auth/login", { body: { email: lead.email, password } });
    expect((await login(a, "wrong-1")).status).toBe(401);
    expect((await login(b, "wrong-2")).status).toBe(401);
    expect((await login(a, "wrong-3")).status).toBe(401);
    expect((await login(b, lead.password)).status).toBe(429);
    expect((await login(a, lead.password)).status).toBe(429);
  });
});

describe("several nodes while Redis is down", () => {
  it("a node keeps its own sockets working, refuses limited actions with unavailable, and recovers its presence when Redis is back", async () => {
    cluster = await each.start(2, { presenceTtlMs: 1_500, sweepIntervalMs: 200 });
    const [a, b] = cluster.nodes as [TestNode, TestNode];
    const lead = await cluster.technician(LEAD);
    const leadWs = await technicianWs(a, lead.token);
    const s = await newSession(a, lead.token);
    const customer = await customerReady(a, s.pin!);
    const second = await newSession(a, lead.token);

    await cluster.redis.crash();
    // Technician and customer on one node still signal; chat, which is limited, is refused.
    customer.send({ type: "signal", signal: OFFER });
    expect(await leadWs.next("signal", 10_000)).toEqual({ type: "signal", sessionId: s.id, signal: OFFER });
    customer.send({ type: "chat", text: "still here" });
    expect(await customer.next("error", 10_000)).toMatchObject({ code: "unavailable" });
    // What needs a shared limit is refused rather than let through unlimited.
    const guesser = await customerWs(b);
    guesser.send({ type: "join", pin: second.pin });
    expect(await guesser.next("error", 10_000)).toMatchObject({ code: "unavailable" });
    const login = await b.api("POST", "/api/v1/auth/login", { body: { email: lead.email, password: lead.password } });
    expect(login.status).toBe(503);
    expect(login.body.error.code).toBe("unavailable");

    // Several presence TTLs later Redis comes back empty; the heartbeats write presence again.
    await new Promise((r) => setTimeout(r, 3_000));
    await cluster.redis.revive();
    const redis = cluster.redis.client();
    await expect.poll(async () => redis.get(`rescue:customer:${s.id}`), { timeout: 15_000, interval: 100 }).toBe(a.id);
    await expect.poll(async () => (await b.api("POST", "/api/v1/auth/login", { body: { email: lead.email, password: lead.password } })).status, { timeout: 15_000 }).toBe(200);
    // The customer held by node A was never taken for gone.
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await logOf(a, lead.token, s.id)).map((e) => e.event)).not.toContain("customer-disconnected");
    // Pushes cross nodes again: a technician on B sees a session created on A.
    const onB = await technicianWs(b, lead.token);
    const third = await newSession(a, lead.token);
    await pushed(onB, third.id, "connecting");
  });
});

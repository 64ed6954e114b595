import { describe, expect, it } from "vitest";
import { ErrorBody, PERMISSIONS, Session, SessionLogEntry, WS_CLOSE, type Permission } from "../../src/protocol/index.js";
import { customerReady, openCustomerWs, type TestServer, type WsProbe, serverPerTest } from "../helpers/server.js";

const each = serverPerTest();
let server: TestServer | undefined;

const ALL: Permission[] = [...PERMISSIONS];
const create = (token: string, body: Record<string, unknown>) => server!.api("POST", "/api/v1/sessions", { token, body });

describe("creating sessions", () => {
  it("creates a Lens session by PIN with a 6-digit PIN, links, expiry and a log", async () => {
    server = await each.start({ publicUrl: "https://rescue.example.test/" });
    const tech = await server.technician(["lens", "private", "pin", "record"]);
    const res = await create(tech.token, { method: "pin", name: "Jane" });
    expect(res.status).toBe(201);
    const s = Session.parse(res.body);
    expect(s).toMatchObject({ type: "lens", mode: "view", status: "connecting", method: "pin", name: "Jane", technician: tech.email, recordable: true, customer: null });
    expect(s.pin).toMatch(/^\d{6}$/);
    expect(s.links).toEqual({
      desktop: `https://rescue.example.test/?code=${s.pin}`,
      mobile: `https://rescue.example.test/m/${s.pin}`,
      pinEntry: "https://rescue.example.test/pin",
    });
    const minutes = (Date.parse(s.expiresAt!) - Date.parse(s.createdAt)) / 60_000;
    expect(minutes).toBeCloseTo(20, 1);
    const log = (await server.api("GET", `/api/v1/sessions/${s.id}/log`, { token: tech.token })).body.map((e: unknown) => SessionLogEntry.parse(e));
    expect(log.map((e: SessionLogEntry) => e.event)).toEqual(["created", "pin-issued"]);
    expect(log[1]).toMatchObject({ pin: s.pin, by: tech.email });
  });

  it("marks sessions not recordable when the group lacks record", async () => {
    server = await each.start();
    const tech = await server.technician(["lens", "private", "link"]);
    expect((await create(tech.token, { method: "link" })).body.recordable).toBe(false);
  });

  it("refuses each missing permission, naming it", async () => {
    server = await each.start();
    const cases: { body: Record<string, unknown>; needs: Permission[] }[] = [
      { body: { type: "lens", method: "pin" }, needs: ["lens", "private", "pin"] },
      { body: { type: "lens", method: "sms", to: "+31612345678" }, needs: ["lens", "private", "sms"] },
      { body: { type: "lens", method: "email", to: "c@example.test" }, needs: ["lens", "private", "email"] },
      { body: { type: "lens", method: "link" }, needs: ["lens", "private", "link"] },
      { body: { type: "desktop", method: "link" }, needs: ["private", "link"] },
    ];
    for (const { body, needs } of cases) {
      for (const missing of needs) {
        const tech = await server.technician(ALL.filter((p) => p !== missing));
        const res = await create(tech.token, body);
        expect(res.status, `${JSON.stringify(body)} without ${missing}`).toBe(403);
        const err = ErrorBody.parse(res.body).error;
        expect(err.code).toBe("forbidden");
        expect(err.message).toContain(missing);
        expect(err.details).toEqual({ missing: [missing] });
      }
      const ok = await server.technician(needs);
      expect((await create(ok.token, body)).status, `${JSON.stringify(body)} with ${needs}`).toBe(201);
    }
  });

  it("refuses remote control with a clear message", async () => {
    server = await each.start();
    const tech = await server.technician(ALL);
    const res = await create(tech.token, { type: "desktop", mode: "control", method: "pin" });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toBe("remote control needs the Rescue agent, not available yet");
  });

  it("sends the link by SMS and email through the outbox and refuses a bad phone number before creating anything", async () => {
    server = await each.start();
    const tech = await server.technician(ALL);
    const sms = Session.parse((await create(tech.token, { method: "sms", to: "+31 6 12345678" })).body);
    // No carrier configured: the messages wait in the outbox, and say so.
    expect(sms.delivery).toEqual({ channel: "sms", to: "+31612345678", status: "queued" });
    const mail = Session.parse((await create(tech.token, { method: "email", to: "Customer@Example.test" })).body);
    expect(mail.delivery).toEqual({ channel: "email", to: "customer@example.test", status: "queued" });
    const smsLog = (await server.api("GET", `/api/v1/sessions/${sms.id}/log`, { token: tech.token })).body;
    expect(smsLog.map((e: SessionLogEntry) => e.event)).toEqual(["created", "pin-issued", "sms-queued"]);

    const bad = await create(tech.token, { method: "sms", to: "12345" });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/phone/);
    const noTo = await create(tech.token, { method: "email" });
    expect(noTo.status).toBe(400);
    const list = await server.api("GET", "/api/v1/sessions", { token: tech.token });
    expect(list.body).toHaveLength(2);
  });

  it("records a failed carrier on the session without losing it", async () => {
    server = await each.start({ delivery: { sms: { send: async () => { throw new Error("carrier down"); } } } });
    const tech = await server.technician(ALL);
    const s = Session.parse((await create(tech.token, { method: "sms", to: "+31612345678" })).body);
    expect(s.delivery).toEqual({ channel: "sms", to: "+31612345678", status: "failed", reason: "carrier down" });
    expect(s.status).toBe("connecting");
  });
});

describe("PINs", () => {
  it("are unique among live sessions and zero-padded", async () => {
    // More live sessions than one technician may hold by default.
    server = await each.start({ limits: { sessions: { livePerTechnician: 100, createRate: { burst: 100, windowMs: 60_000 } } } });
    const tech = await server.technician(ALL);
    const pins = new Set<string>();
    for (let i = 0; i < 60; i++) {
      const s = Session.parse((await create(tech.token, { method: "pin" })).body);
      expect(s.pin).toMatch(/^\d{6}$/);
      pins.add(s.pin!);
    }
    expect(pins.size).toBe(60);
  });

  it("expire after the group's setting: the session times out, the PIN no longer joins", async () => {
    let offsetMs = 0;
    server = await each.start({ now: () => new Date(Date.now() + offsetMs) });
    const tech = await server.technician(["lens", "private", "pin"], { pinExpiryMinutes: 2 });
    const s = Session.parse((await create(tech.token, { method: "pin" })).body);
    expect(Date.parse(s.expiresAt!) - Date.parse(s.createdAt)).toBe(2 * 60_000);
    offsetMs = 60_000;
    expect((await server.api("GET", `/api/v1/sessions/${s.id}`, { token: tech.token })).body.status).toBe("connecting");
    offsetMs = 2 * 60_000 + 1000;
    const after = Session.parse((await server.api("GET", `/api/v1/sessions/${s.id}`, { token: tech.token })).body);
    expect(after).toMatchObject({ status: "timed-out", pin: null, links: null, expiresAt: null });
    const log = (await server.api("GET", `/api/v1/sessions/${s.id}/log`, { token: tech.token })).body;
    expect(log.at(-1).event).toBe("timed-out");
  });

  it("are swept without anyone asking", async () => {
    let offsetMs = 0;
    server = await each.start({ now: () => new Date(Date.now() + offsetMs), sweepIntervalMs: 50 });
    const tech = await server.technician(["lens", "private", "pin"], { pinExpiryMinutes: 1 });
    const s = Session.parse((await create(tech.token, { method: "pin" })).body);
    offsetMs = 61_000;
    await new Promise((r) => setTimeout(r, 300));
    const list = await server.api("GET", "/api/v1/sessions?status=timed-out", { token: tech.token });
    expect(list.body.map((x: Session) => x.id)).toEqual([s.id]);
  });

  it("are replaced by 'create another PIN' only before a customer joins", async () => {
    server = await each.start();
    const tech = await server.technician(["lens", "private", "pin"]);
    const s = Session.parse((await create(tech.token, { method: "pin" })).body);
    const again = Session.parse((await server.api("POST", `/api/v1/sessions/${s.id}/pin`, { token: tech.token })).body);
    expect(again.id).toBe(s.id);
    expect(again.pin).toMatch(/^\d{6}$/);
    expect(again.pin).not.toBe(s.pin);
    expect(again.links!.mobile).toContain(again.pin!);
    const log = (await server.api("GET", `/api/v1/sessions/${s.id}/log`, { token: tech.token })).body;
    expect(log.filter((e: SessionLogEntry) => e.event === "pin-issued").map((e: { pin: string }) => e.pin)).toEqual([s.pin, again.pin]);

    const c = await customerReady(server, again.pin!);
    each.keep(c);
    const refused = await server.api("POST", `/api/v1/sessions/${s.id}/pin`, { token: tech.token });
    expect(refused.status).toBe(409);
  });

  it("'create another PIN' on a session that timed out before the customer came: Connecting again, the new PIN joins", async () => {
    let offsetMs = 0;
    server = await each.start({ now: () => new Date(Date.now() + offsetMs) });
    const tech = await server.technician(["lens", "private", "pin"], { pinExpiryMinutes: 1 });
    const s = Session.parse((await create(tech.token, { method: "pin" })).body);
    offsetMs = 61_000;
    expect((await server.api("GET", `/api/v1/sessions/${s.id}`, { token: tech.token })).body.status).toBe("timed-out");
    const again = Session.parse((await server.api("POST", `/api/v1/sessions/${s.id}/pin`, { token: tech.token })).body);
    expect(again).toMatchObject({ id: s.id, status: "connecting" });
    expect(again.pin).toMatch(/^\d{6}$/);
    expect(Date.parse(again.expiresAt!)).toBeGreaterThan(Date.now() + offsetMs);
    const log = (await server.api("GET", `/api/v1/sessions/${s.id}/log`, { token: tech.token })).body;
    expect(log.slice(-2).map((e: SessionLogEntry) => [e.event, e.status])).toEqual([["timed-out", "timed-out"], ["pin-issued", "connecting"]]);
    // The old PIN stays dead; the new one brings the customer in.
    const stale = await openCustomerWs(server);
    each.keep(stale);
    stale.send({ type: "join", pin: s.pin, name: "Late" });
    expect((await stale.closed).code).toBe(WS_CLOSE.invalidPin);
    const c = await customerReady(server, again.pin!);
    each.keep(c);
    expect((await server.api("GET", `/api/v1/sessions/${s.id}`, { token: tech.token })).body.status).toBe("waiting");
    // Once the customer joined, no new PIN, and the refusal says how to go on.
    const refused = await server.api("POST", `/api/v1/sessions/${s.id}/pin`, { token: tech.token });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/start a new session \(rescue session new\)/);
  });

  it("no new PIN for a session that was closed, nor for one that timed out after its customer joined", async () => {
    server = await each.start();
    const tech = await server.technician(["lens", "private", "pin"]);
    const s = Session.parse((await create(tech.token, { method: "pin" })).body);
    expect((await server.api("POST", `/api/v1/sessions/${s.id}/end`, { token: tech.token })).status).toBe(200);
    const refused = await server.api("POST", `/api/v1/sessions/${s.id}/pin`, { token: tech.token });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/session is closed/);
  });
});

describe("session actions", () => {
  it("follow the state machine and refuse other transitions with 409", async () => {
    server = await each.start();
    const tech = await server.technician(["lens", "private", "pin"]);
    const s = Session.parse((await create(tech.token, { method: "pin" })).body);
    const act = (a: string) => server!.api("POST", `/api/v1/sessions/${s.id}/${a}`, { token: tech.token });
    const early = await act("start");
    expect(early.status).toBe(409);
    expect(early.body.error.message).toBe("cannot start a session that is connecting");
    each.keep(await customerReady(server, s.pin!));
    expect((await act("start")).body.status).toBe("active");
    expect((await act("resume")).status).toBe(409);
    expect((await act("hold")).body.status).toBe("on-hold");
    expect((await act("resume")).body.status).toBe("active");
    expect((await act("end")).body.status).toBe("closed");
    const late = await act("hold");
    expect(late.status).toBe(409);
    expect(late.body.error.message).toContain("closed");
    const log = (await server.api("GET", `/api/v1/sessions/${s.id}/log`, { token: tech.token })).body.map((e: SessionLogEntry) => e.event);
    expect(log).toEqual(["created", "pin-issued", "customer-connected", "devices-granted", "eula-accepted", "started", "held", "resumed", "closed"]);
  });

  it("hide other technicians' sessions", async () => {
    server = await each.start();
    const a = await server.technician(["lens", "private", "pin"]);
    const b = await server.technician(["lens", "private", "pin"]);
    const s = Session.parse((await create(a.token, { method: "pin" })).body);
    for (const [m, p] of [["GET", ""], ["GET", "/log"], ["POST", "/end"], ["POST", "/pin"]] as const) {
      expect((await server.api(m, `/api/v1/sessions/${s.id}${p}`, { token: b.token })).status).toBe(404);
    }
    expect((await server.api("GET", "/api/v1/sessions", { token: b.token })).body).toEqual([]);
  });

  it("allow one Lens session per technician, naming the one that holds the slot", async () => {
    server = await each.start();
    const tech = await server.technician(["lens", "private", "pin", "link"]);
    const first = Session.parse((await create(tech.token, { method: "pin" })).body);
    const second = Session.parse((await create(tech.token, { method: "pin" })).body);
    each.keep(await customerReady(server, first.pin!), await customerReady(server, second.pin!));
    expect((await server.api("POST", `/api/v1/sessions/${first.id}/start`, { token: tech.token })).status).toBe(200);
    for (const status of ["active", "on-hold"]) {
      if (status === "on-hold") await server.api("POST", `/api/v1/sessions/${first.id}/hold`, { token: tech.token });
      const res = await server.api("POST", `/api/v1/sessions/${second.id}/start`, { token: tech.token });
      expect(res.status).toBe(403);
      const err = ErrorBody.parse(res.body).error;
      expect(err.code).toBe("forbidden");
      expect(err.message).toContain(first.id);
      expect(err.details).toEqual({ sessionId: first.id });
    }
    await server.api("POST", `/api/v1/sessions/${first.id}/end`, { token: tech.token });
    expect((await server.api("POST", `/api/v1/sessions/${second.id}/start`, { token: tech.token })).body.status).toBe("active");
  });

  it("allow at most 10 active sessions; held ones do not count", async () => {
    server = await each.start();
    const tech = await server.technician(["private", "pin"]);
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const s = Session.parse((await create(tech.token, { type: "desktop", method: "pin" })).body);
      each.keep(await customerReady(server, s.pin!));
      ids.push(s.id);
    }
    for (const id of ids.slice(0, 10)) expect((await server.api("POST", `/api/v1/sessions/${id}/start`, { token: tech.token })).status).toBe(200);
    const eleventh = await server.api("POST", `/api/v1/sessions/${ids[10]}/start`, { token: tech.token });
    expect(eleventh.status).toBe(403);
    expect(eleventh.body.error.details).toEqual({ limit: 10 });
    await server.api("POST", `/api/v1/sessions/${ids[0]}/hold`, { token: tech.token });
    expect((await server.api("POST", `/api/v1/sessions/${ids[10]}/start`, { token: tech.token })).status).toBe(200);
    expect((await server.api("POST", `/api/v1/sessions/${ids[0]}/resume`, { token: tech.token })).status).toBe(403);
  });

  it("chat needs the chat permission and reaches the customer", async () => {
    server = await each.start();
    const mute = await server.technician(["lens", "private", "pin"]);
    const talk = await server.technician(["lens", "private", "pin", "chat"]);
    const s1 = Session.parse((await create(mute.token, { method: "pin" })).body);
    const refused = await server.api("POST", `/api/v1/sessions/${s1.id}/chat`, { token: mute.token, body: { text: "hi" } });
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toContain("chat");
    const s2 = Session.parse((await create(talk.token, { method: "pin" })).body);
    const c = await customerReady(server, s2.pin!);
    each.keep(c);
    const sent = await server.api("POST", `/api/v1/sessions/${s2.id}/chat`, { token: talk.token, body: { text: "hello there" } });
    expect(sent.body).toMatchObject({ sessionId: s2.id, from: "technician", author: talk.email, text: "hello there" });
    expect((await c.next("chat")).message.text).toBe("hello there");
  });

  it("list filters by status and refuses unknown ones", async () => {
    server = await each.start();
    const tech = await server.technician(["lens", "private", "pin"]);
    const a = Session.parse((await create(tech.token, { method: "pin" })).body);
    const b = Session.parse((await create(tech.token, { method: "pin" })).body);
    await server.api("POST", `/api/v1/sessions/${b.id}/end`, { token: tech.token });
    expect((await server.api("GET", "/api/v1/sessions?status=connecting", { token: tech.token })).body.map((s: Session) => s.id)).toEqual([a.id]);
    expect((await server.api("GET", "/api/v1/sessions?status=closed,connecting", { token: tech.token })).body).toHaveLength(2);
    expect((await server.api("GET", "/api/v1/sessions?status=bogus", { token: tech.token })).status).toBe(400);
  });
});

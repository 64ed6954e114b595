import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreatedApiKey, ErrorBody, IntegrationSession, Session, WS_CLOSE, type Permission } from "../../src/protocol/index.js";
import { openCustomerWs, openTechnicianWs, startTestServer, type Account, type TestServer } from "../helpers/server.js";

const PERMS: Permission[] = ["lens", "private", "pin", "link"];

/** A client that sends fields the server does not know, and modes its sessions cannot have. */
describe("the server refuses what it does not understand", () => {
  let server: TestServer;
  let tech: Account;
  let key: string;

  beforeAll(async () => {
    server = await startTestServer();
    tech = await server.technician(PERMS);
    key = CreatedApiKey.parse((await server.api("POST", "/api/v1/apikeys", { token: tech.token, body: { name: "chat" } })).body).key;
  });
  afterAll(() => server.close());

  const integration = (body: unknown) => server.api("POST", "/api/v1/integration/sessions", { token: key, body });
  const sessionCount = async () => (await server.api("GET", "/api/v1/sessions", { token: tech.token })).body.length as number;

  it("answers unknown fields with 400 naming them, and creates nothing", async () => {
    const before = await sessionCount();
    const typo = await integration({ nmae: "Jane", type: "lens" });
    expect(typo.status).toBe(400);
    expect(ErrorBody.parse(typo.body).error.message).toMatch(/unknown field "nmae"/);
    const two = await server.api("POST", "/api/v1/sessions", { token: tech.token, body: { method: "pin", record: true, owner: "x" } });
    expect(two.status).toBe(400);
    expect(two.body.error.message).toMatch(/unknown fields "record", "owner"/);
    const login = await server.api("POST", "/api/v1/auth/login", { body: { email: tech.email, password: tech.password, admin: true } });
    expect(login.status).toBe(400);
    expect(login.body.error.message).toMatch(/unknown field "admin"/);
    const group = await server.api("POST", "/api/v1/admin/groups", { token: server.admin.token, body: { name: "g-strict", settings: { maxTechnicans: 9 } } });
    expect(group.status).toBe(400);
    expect(group.body.error.message).toMatch(/settings: unknown field "maxTechnicans"/);
    expect(await sessionCount()).toBe(before);
  });

  it("takes mode on the integration API with the CLI's rules", async () => {
    const control = await integration({ type: "desktop", mode: "control" });
    expect(control.status).toBe(403);
    expect(control.body.error.message).toMatch(/remote control needs the Rescue agent/);
    const lens = await integration({ type: "lens", mode: "control" });
    expect(lens.status).toBe(400);
    expect(lens.body.error.message).toMatch(/mode control applies to desktop sessions/);
    const bogus = await integration({ type: "desktop", mode: "edit" });
    expect(bogus.status).toBe(400);

    const view = await integration({ type: "desktop", mode: "view" });
    expect(view.status).toBe(201);
    const made = IntegrationSession.parse(view.body);
    const listed = (await server.api("GET", "/api/v1/sessions", { token: tech.token })).body;
    expect(listed.find((s: { id: string }) => s.id === made.sessionId)).toMatchObject({ type: "desktop", mode: "view" });
  });

  it("closes a customer or technician socket whose message has unknown fields with 4400 naming them", async () => {
    const s = Session.parse((await server.api("POST", "/api/v1/sessions", { token: tech.token, body: { method: "pin", name: "Jane" } })).body);
    const c = await openCustomerWs(server);
    c.send({ type: "join", pin: s.pin, name: "Eve Evil", extra: 1 });
    expect(await c.closed).toEqual({ code: WS_CLOSE.badMessage, reason: 'invalid message: message: unknown field "extra"' });
    // Refused before the lookup: the PIN is still live, nobody joined.
    const after = Session.parse((await server.api("GET", `/api/v1/sessions/${s.id}`, { token: tech.token })).body);
    expect(after).toMatchObject({ pin: s.pin, status: "connecting" });

    const joined = await openCustomerWs(server);
    joined.send({ type: "join", pin: s.pin });
    await joined.next("joined");
    joined.send({ type: "devices", camera: true, microphone: true, speaker: true, torch: false });
    expect(await joined.closed).toEqual({ code: WS_CLOSE.badMessage, reason: 'invalid message: message: unknown fields "speaker", "torch"' });

    const t = await openTechnicianWs(server, tech.token);
    await t.next("sessions");
    t.send({ type: "chat", sessionId: s.id, text: "hi", from: "customer" });
    expect(await t.closed).toEqual({ code: WS_CLOSE.badMessage, reason: 'invalid message: message: unknown field "from"' });
  });
});

import { afterEach, describe, expect, it } from "vitest";
import { Session, type Permission } from "../../src/protocol/index.js";
import { openCustomerWs, openWs, startTestServer, type TestServer, type WsProbe } from "../helpers/server.js";

const HEARTBEAT_MS = 200;
let server: TestServer | undefined;
const sockets: WsProbe[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.ws.terminate();
  await server?.close();
  server = undefined;
});

const LEAD: Permission[] = ["lens", "private", "pin", "chat", "record", "transfer"];
const sessionOf = async (token: string, id: string) => Session.parse((await server!.api("GET", `/api/v1/sessions/${id}`, { token })).body);

/**
 * The peers here stop answering pings (`autoPong: false`), as a locked phone, a lost radio link or
 * a frozen process does: the socket stays open, nothing more comes back.
 */
describe("heartbeats find peers that vanish without closing", () => {
  it("a silent customer is taken as lost within two heartbeats: the session ends with customer-lost in its log", async () => {
    server = await startTestServer({ heartbeatMs: HEARTBEAT_MS, customerGraceMs: 1000 });
    const tech = await server.technician(LEAD);
    const s = Session.parse((await server.api("POST", "/api/v1/sessions", { token: tech.token, body: { method: "pin", name: "Jane" } })).body);
    const c = await openCustomerWs(server, { autoPong: false });
    sockets.push(c);
    c.send({ type: "join", pin: s.pin, name: "Jane" });
    await c.next("joined");
    c.send({ type: "devices", camera: true, microphone: true });
    c.send({ type: "eula", accepted: true });
    while ((await c.next("status")).status !== "waiting");
    const silentFrom = Date.now();

    // Dropped by the server (1006: terminated, no close frame), not by us.
    expect((await c.closed).code).toBe(1006);
    const detectedMs = Date.now() - silentFrom;
    expect(detectedMs).toBeGreaterThanOrEqual(HEARTBEAT_MS);
    expect(detectedMs).toBeLessThan(2 * HEARTBEAT_MS + 2000);
    await expect.poll(async () => (await sessionOf(tech.token, s.id)).status, { timeout: 10_000 }).toBe("aborted");
    const log = (await server.api("GET", `/api/v1/sessions/${s.id}/log`, { token: tech.token })).body as Array<{ event: string; heartbeatMs?: number }>;
    expect(log.find((e) => e.event === "customer-lost")).toMatchObject({ heartbeatMs: HEARTBEAT_MS });
    expect(log.map((e) => e.event)).not.toContain("customer-disconnected");
  });

  it("a customer who answers stays; one who closes is 'disconnected', not 'lost'", async () => {
    server = await startTestServer({ heartbeatMs: HEARTBEAT_MS, customerGraceMs: 1000 });
    const tech = await server.technician(LEAD);
    const s = Session.parse((await server.api("POST", "/api/v1/sessions", { token: tech.token, body: { method: "pin" } })).body);
    const c = await openCustomerWs(server);
    sockets.push(c);
    c.send({ type: "join", pin: s.pin });
    await c.next("joined");
    await new Promise((r) => setTimeout(r, 6 * HEARTBEAT_MS));
    expect((await sessionOf(tech.token, s.id)).status).toBe("connecting");
    await c.close();
    await expect.poll(async () => (await sessionOf(tech.token, s.id)).status, { timeout: 10_000 }).toBe("aborted");
    const events = ((await server.api("GET", `/api/v1/sessions/${s.id}/log`, { token: tech.token })).body as Array<{ event: string }>).map((e) => e.event);
    expect(events).toContain("customer-disconnected");
    expect(events).not.toContain("customer-lost");
  });

  it("a silent technician's daemon goes offline: a transfer to them is refused as not online", async () => {
    server = await startTestServer({ heartbeatMs: HEARTBEAT_MS, customerGraceMs: 1000 });
    const lead = await server.technician(LEAD);
    const receiver = await server.technician(["lens", "private", "pin"]);
    const s = Session.parse((await server.api("POST", "/api/v1/sessions", { token: lead.token, body: { method: "pin" } })).body);
    const c = await openCustomerWs(server);
    sockets.push(c);
    c.send({ type: "join", pin: s.pin });
    await c.next("joined");
    c.send({ type: "devices", camera: true, microphone: true });
    c.send({ type: "eula", accepted: true });
    while ((await c.next("status")).status !== "waiting");

    const silent = await openWs(`${server.wsUrl}/api/v1/ws`, { headers: { authorization: `Bearer ${receiver.token}` }, autoPong: false });
    sockets.push(silent);
    await silent.next("sessions");
    expect((await silent.closed).code).toBe(1006);
    const refused = await server.api("POST", `/api/v1/sessions/${s.id}/transfer`, { token: lead.token, body: { to: receiver.email } });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/not online/);
  });
});

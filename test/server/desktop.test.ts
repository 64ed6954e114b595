import { afterEach, describe, expect, it } from "vitest";
import { ErrorBody, IntegrationSession, ServerToTechnician, Session, SessionLogEntry } from "../../src/protocol/index.js";
import { customerReady, openCustomerWs, openTechnicianWs, startTestServer, type TestServer, type WsProbe } from "../helpers/server.js";

let server: TestServer | undefined;
const sockets: WsProbe[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) await s.close();
  await server?.close();
  server = undefined;
});

async function page(path: string) {
  const res = await fetch(server!.url + path);
  return { status: res.status, csp: res.headers.get("content-security-policy") ?? "", text: await res.text() };
}

async function create(token: string, body: Record<string, unknown>): Promise<Session> {
  const res = await server!.api("POST", "/api/v1/sessions", { token, body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return Session.parse(res.body);
}

describe("desktop sessions on the server", () => {
  it("a guesser learns nothing from the pages: a desktop PIN, a Lens PIN and an unknown one get the same pages; the socket says the type", async () => {
    server = await startTestServer({ limits: { pins: { perSource: { burst: 3, windowMs: 60_000 } } } });
    const tech = await server.technician(["lens", "private", "link"]);
    const desktop = await create(tech.token, { type: "desktop", method: "link", name: "Ada" });
    const lens = await create(tech.token, { type: "lens", method: "link" });
    expect(desktop).toMatchObject({ type: "desktop", mode: "view" });
    const unknown = ["000001", "000002", "000003", "000004", "000005"].find((p) => p !== desktop.pin && p !== lens.pin)!;

    // The attack: fetch both landing pages for each PIN, many more times than the PIN budget.
    const seen = new Map<string, Set<string>>();
    for (let round = 0; round < 3; round++) {
      for (const pin of [desktop.pin!, lens.pin!, unknown]) {
        for (const path of [`/lens?pin=${pin}&name=Ada`, `/m/${pin}`]) {
          const res = await page(path);
          expect(res.status, path).toBe(200);
          const key = path.replace(pin, "PIN");
          if (!seen.has(key)) seen.set(key, new Set());
          seen.get(key)!.add(`${res.csp}\n${res.text.replaceAll(pin, "PIN")}`);
        }
      }
    }
    for (const [path, bodies] of seen) expect(bodies.size, path).toBe(1);

    const screen = await page(`/lens?pin=${desktop.pin}&name=Ada`);
    expect(screen.text).toContain('<script src="/assets/screen.js" defer></script>');
    expect(screen.text).toContain('<script src="/assets/lens.js" defer></script>');
    expect(screen.csp).toContain("script-src 'self'");
    expect(screen.csp).not.toContain("unsafe-inline");
    const data = /<script type="application\/json" id="session-data">(.*?)<\/script>/s.exec(screen.text)![1]!;
    expect(JSON.parse(data)).toMatchObject({ pin: desktop.pin, name: "Ada", strings: { stopSharing: "Stop sharing", eulaHeading: "Before you start" } });
    const js = await fetch(`${server.url}/assets/screen.js`);
    expect(js.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(await js.text()).toContain("getDisplayMedia");

    // Only joining tells the type, and pages spent none of the PIN budget: both still join.
    for (const [s, type] of [[desktop, "desktop"], [lens, "lens"]] as const) {
      const c = await openCustomerWs(server);
      sockets.push(c);
      c.send({ type: "join", pin: s.pin });
      expect(await c.next("joined")).toMatchObject({ sessionId: s.id, sessionType: type });
    }
  });

  it("the customer stopping the screen share is logged and reaches the technician as customer-media; the session stays active", async () => {
    server = await startTestServer();
    const tech = await server.technician(["private", "pin", "chat"]);
    const techWs = await openTechnicianWs(server, tech.token);
    sockets.push(techWs);
    const s = await create(tech.token, { type: "desktop", method: "pin" });
    const customer = await customerReady(server, s.pin!);
    sockets.push(customer);
    const started = await server.api("POST", `/api/v1/sessions/${s.id}/start`, { token: tech.token });
    expect(started.body).toMatchObject({ status: "active" });

    customer.send({ type: "screen-share", state: "stopped" });
    const msg = ServerToTechnician.parse(await techWs.next("customer-media"));
    expect(msg).toEqual({ type: "customer-media", sessionId: s.id, event: "screen-share-stopped" });
    expect((await server.api("GET", `/api/v1/sessions/${s.id}`, { token: tech.token })).body.status).toBe("active");
    // Chat goes on after the screen is gone.
    customer.send({ type: "chat", text: "still here" });
    expect(ServerToTechnician.parse(await techWs.next("chat"))).toMatchObject({ message: { from: "customer", text: "still here" } });

    const log = (await server.api<unknown[]>("GET", `/api/v1/sessions/${s.id}/log`, { token: tech.token })).body.map((e) => SessionLogEntry.parse(e));
    expect(log.find((e) => e.event === "created")).toMatchObject({ type: "desktop", mode: "view" });
    expect(log.map((e) => e.event)).toContain("screen-share-stopped");
  });

  it("a Lens customer cannot report a screen share, and no one can before the EULA", async () => {
    server = await startTestServer();
    const tech = await server.technician(["lens", "private", "pin"]);
    const lens = await create(tech.token, { type: "lens", method: "pin" });
    const customer = await customerReady(server, lens.pin!);
    sockets.push(customer);
    customer.send({ type: "screen-share", state: "stopped" });
    expect(await customer.next("error")).toMatchObject({ code: "conflict", message: "only a desktop session shares a screen" });
    const log = (await server.api<SessionLogEntry[]>("GET", `/api/v1/sessions/${lens.id}/log`, { token: tech.token })).body;
    expect(log.map((e) => e.event)).not.toContain("screen-share-stopped");

    const desktop = await create(tech.token, { type: "desktop", method: "pin" });
    const early = await openCustomerWs(server);
    sockets.push(early);
    early.send({ type: "join", pin: desktop.pin });
    await early.next("joined");
    early.send({ type: "screen-share", state: "stopped" });
    expect(await early.next("error")).toMatchObject({ code: "conflict", message: "screen sharing opens once the EULA is accepted" });
  });

  it("remote control is refused with a clear message and creates nothing", async () => {
    server = await startTestServer();
    const tech = await server.technician(["private", "pin"]);
    const res = await server.api("POST", "/api/v1/sessions", { token: tech.token, body: { type: "desktop", mode: "control", method: "pin" } });
    expect(res.status).toBe(403);
    expect(ErrorBody.parse(res.body).error).toMatchObject({ code: "forbidden", message: expect.stringMatching(/remote control needs the Rescue agent/) });
    expect((await server.api<Session[]>("GET", "/api/v1/sessions", { token: tech.token })).body).toEqual([]);
  });

  it("the integration API makes desktop sessions whose links open the screen page", async () => {
    server = await startTestServer();
    const tech = await server.technician(["lens", "private", "link"]);
    const key = (await server.api("POST", "/api/v1/apikeys", { token: tech.token, body: { name: "chat" } })).body.key as string;
    const res = await server.api("POST", "/api/v1/integration/sessions", { token: key, body: { type: "desktop", name: "Bo" } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const made = IntegrationSession.parse(res.body);
    const mobile = await page(new URL(made.links.mobile).pathname);
    expect(mobile.text).toContain("Your technician invites you to a support session");
    const next = /href="([^"]+)"/.exec(mobile.text.slice(mobile.text.indexOf('id="start"')))![1]!.replace(/&amp;/g, "&");
    expect((await page(next)).text).toContain("screen.js");
    const listed = (await server.api<Session[]>("GET", "/api/v1/sessions", { token: tech.token })).body;
    expect(listed.find((s) => s.id === made.sessionId)).toMatchObject({ type: "desktop", mode: "view" });
    // Without a type it stays a Lens session, as before.
    const lens = IntegrationSession.parse((await server.api("POST", "/api/v1/integration/sessions", { token: key, body: {} })).body);
    const again = (await server.api<Session[]>("GET", "/api/v1/sessions", { token: tech.token })).body;
    expect(again.find((s) => s.id === lens.sessionId)).toMatchObject({ type: "lens" });
  });
});

import { createHash } from "node:crypto";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { ApiKey, CreatedApiKey, ErrorBody, IntegrationSession, Session, WS_CLOSE, type Permission } from "../../src/protocol/index.js";
import { customerReady, openCustomerWs, type TestServer, type WsProbe, serverPerTest } from "../helpers/server.js";

const each = serverPerTest();
let server: TestServer | undefined;

const PERMS: Permission[] = ["lens", "private", "link"];

async function newKey(token: string, name = "helpdesk chat"): Promise<CreatedApiKey> {
  const res = await server!.api("POST", "/api/v1/apikeys", { token, body: { name } });
  expect(res.status).toBe(201);
  return CreatedApiKey.parse(res.body);
}

const createSession = (key: string, body?: unknown) => server!.api("POST", "/api/v1/integration/sessions", { token: key, body });

describe("API keys", () => {
  it("are shown once, stored hashed, listed without the secret and revoked at once", async () => {
    server = await each.start();
    const tech = await server.technician(PERMS);
    const created = await newKey(tech.token);
    expect(created.key).toMatch(/^rk_[A-Za-z0-9_-]{43}$/);
    expect(created.key.startsWith(created.prefix)).toBe(true);

    const listed = await server.api("GET", "/api/v1/apikeys", { token: tech.token });
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.body)).not.toContain(created.key);
    expect(listed.body.map((k: unknown) => ApiKey.parse(k).id)).toEqual([created.id]);

    const db = new Database(join(server.dataDir, "rescue.db"), { readonly: true });
    try {
      const rows = db.prepare("SELECT * FROM api_keys").all() as Record<string, unknown>[];
      expect(rows).toHaveLength(1);
      expect(rows[0]!.hash).toBe(createHash("sha256").update(created.key).digest("hex"));
      expect(JSON.stringify(rows)).not.toContain(created.key);
    } finally {
      db.close();
    }

    expect((await createSession(created.key)).status).toBe(201);
    const other = await server.technician(PERMS);
    expect((await server.api("DELETE", `/api/v1/apikeys/${created.id}`, { token: other.token })).status).toBe(404);
    expect((await server.api("DELETE", `/api/v1/apikeys/${created.id}`, { token: tech.token })).status).toBe(204);
    expect((await server.api("DELETE", `/api/v1/apikeys/${created.id}`, { token: tech.token })).status).toBe(404);
    const refused = await createSession(created.key);
    expect(refused.status).toBe(401);
    expect(ErrorBody.parse(refused.body).error.message).toContain("revoked");
    const after = ApiKey.parse((await server.api("GET", "/api/v1/apikeys", { token: tech.token })).body[0]);
    expect(after.revokedAt).not.toBeNull();
    expect(after.lastUsedAt).not.toBeNull();
  });

  it("need a login token and a sensible name", async () => {
    server = await each.start();
    const tech = await server.technician(PERMS);
    const key = await newKey(tech.token);
    expect((await server.api("POST", "/api/v1/apikeys", { body: { name: "x" } })).status).toBe(401);
    // An API key is not a login token.
    expect((await server.api("POST", "/api/v1/apikeys", { token: key.key, body: { name: "x" } })).status).toBe(401);
    expect((await server.api("GET", "/api/v1/sessions", { token: key.key })).status).toBe(401);
    expect((await server.api("POST", "/api/v1/apikeys", { token: tech.token, body: { name: "" } })).status).toBe(400);
    expect((await server.api("POST", "/api/v1/apikeys", { token: tech.token, body: { name: "n".repeat(65) } })).status).toBe(400);
    expect((await server.api("DELETE", "/api/v1/apikeys/bad%20id", { token: tech.token })).status).toBe(400);
  });
});

describe("the integration calls", () => {
  it("create a session the customer can join, in the technician's list, and issue another PIN", async () => {
    server = await each.start({ publicUrl: "https://rescue.example.test" });
    const tech = await server.technician(PERMS);
    const { key } = await newKey(tech.token);
    const res = await createSession(key, { name: "Chat visitor 42", language: "nl" });
    expect(res.status).toBe(201);
    const s = IntegrationSession.parse(res.body);
    expect(Object.keys(res.body).sort()).toEqual(["expiresAt", "links", "pin", "sessionId"]);
    expect(s.links).toEqual({
      desktop: `https://rescue.example.test/?code=${s.pin}&lang=nl`,
      mobile: `https://rescue.example.test/m/${s.pin}?lang=nl`,
      pinEntry: "https://rescue.example.test/pin?lang=nl",
    });
    expect(Date.parse(s.expiresAt)).toBeGreaterThan(Date.now());

    const listed = (await server.api("GET", "/api/v1/sessions", { token: tech.token })).body.map((x: unknown) => Session.parse(x));
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ id: s.sessionId, name: "Chat visitor 42", method: "link", status: "connecting", pin: s.pin, technician: tech.email });

    const again = await server.api("POST", `/api/v1/integration/sessions/${s.sessionId}/pin`, { token: key });
    expect(again.status).toBe(200);
    const second = IntegrationSession.parse(again.body);
    expect(second.sessionId).toBe(s.sessionId);
    expect(second.pin).not.toBe(s.pin);
    expect(second.links.mobile).toBe(`https://rescue.example.test/m/${second.pin}`);

    // The old PIN is dead, the new one works.
    const stale = await openCustomerWs(server);
    each.keep(stale);
    stale.send({ type: "join", pin: s.pin });
    expect((await stale.closed).code).toBe(WS_CLOSE.invalidPin);
    each.keep(await customerReady(server, second.pin));
    const log = (await server.api("GET", `/api/v1/sessions/${s.sessionId}/log`, { token: tech.token })).body;
    expect(log.filter((e: { event: string }) => e.event === "pin-issued")).toHaveLength(2);

    // Once the customer is in, there is no other PIN to give.
    expect((await server.api("POST", `/api/v1/integration/sessions/${s.sessionId}/pin`, { token: key })).status).toBe(409);
  });

  it("refuse missing, malformed, unknown and foreign keys", async () => {
    server = await each.start();
    const tech = await server.technician(PERMS);
    const { key } = await newKey(tech.token);
    const unknown = `rk_${"A".repeat(43)}`;
    for (const token of [undefined, "short", unknown, tech.token]) {
      const res = await createSession(token as string);
      expect(res.status).toBe(401);
      expect(ErrorBody.parse(res.body).error.code).toBe("unauthenticated");
    }
    const s = IntegrationSession.parse((await createSession(key)).body);
    // Another technician's key cannot touch this session.
    const other = await newKey((await server.technician(PERMS)).token);
    expect((await server.api("POST", `/api/v1/integration/sessions/${s.sessionId}/pin`, { token: other.key })).status).toBe(404);
  });

  it("cannot replace the PIN of the key owner's own sessions made outside the integration (attack)", async () => {
    server = await each.start();
    const tech = await server.technician(["lens", "private", "pin", "link"]);
    const { key } = await newKey(tech.token);
    // The technician's sessions made by hand: a PIN read out on the phone, and a link session.
    const byHand = [];
    for (const method of ["pin", "link"]) {
      const res = await server.api("POST", "/api/v1/sessions", { token: tech.token, body: { type: "lens", mode: "view", method } });
      expect(res.status).toBe(201);
      byHand.push(Session.parse(res.body));
    }
    for (const s of byHand) {
      const res = await server.api("POST", `/api/v1/integration/sessions/${s.id}/pin`, { token: key, body: {} });
      expect(res.status).toBe(404);
      expect(ErrorBody.parse(res.body).error.code).toBe("not_found");
      expect(JSON.stringify(res.body)).not.toContain(s.pin!);
      // The PIN the customer was given still stands.
      const now = Session.parse((await server.api("GET", `/api/v1/sessions/${s.id}`, { token: tech.token })).body);
      expect(now.pin).toBe(s.pin);
    }
    // A session the integration made is still its to renew.
    const made = IntegrationSession.parse((await createSession(key)).body);
    expect((await server.api("POST", `/api/v1/integration/sessions/${made.sessionId}/pin`, { token: key, body: {} })).status).toBe(200);
  });

  it("act with the group's permissions at call time", async () => {
    server = await each.start();
    const tech = await server.technician(["lens", "private", "pin"]);
    const { key } = await newKey(tech.token);
    const res = await createSession(key);
    expect(res.status).toBe(403);
    expect(ErrorBody.parse(res.body).error.message).toContain("link");
  });

  it("reject bad input with a 400 and create nothing", async () => {
    server = await each.start();
    const tech = await server.technician(PERMS);
    const { key } = await newKey(tech.token);
    for (const body of [{ language: "fr" }, { name: "n".repeat(101) }, { name: "" }, { name: 42 }]) {
      const res = await createSession(key, body);
      expect(res.status).toBe(400);
      expect(ErrorBody.parse(res.body).error.code).toBe("bad_request");
    }
    const malformed = await fetch(`${server.url}/api/v1/integration/sessions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: "{not json",
    });
    expect(malformed.status).toBe(400);
    expect((await server.api("POST", "/api/v1/integration/sessions/no%20such/pin", { token: key })).status).toBe(400);
    expect((await server.api("GET", "/api/v1/sessions", { token: tech.token })).body).toEqual([]);
  });

  it("are rate-limited per key with Retry-After", async () => {
    server = await each.start({ limits: { integration: { perKey: 3, windowMs: 60_000 } } });
    const tech = await server.technician(PERMS);
    const a = await newKey(tech.token, "a");
    const b = await newKey(tech.token, "b");
    for (let i = 0; i < 3; i++) expect((await createSession(a.key)).status).toBe(201);
    const res = await fetch(`${server.url}/api/v1/integration/sessions`, { method: "POST", headers: { authorization: `Bearer ${a.key}` } });
    expect(res.status).toBe(429);
    const retry = Number(res.headers.get("retry-after"));
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(60);
    expect(ErrorBody.parse(await res.json()).error.code).toBe("rate_limited");
    // A refused call created nothing; the other key has its own budget.
    expect((await server.api("GET", "/api/v1/sessions", { token: tech.token })).body).toHaveLength(3);
    expect((await createSession(b.key)).status).toBe(201);
  });

  it("count refused requests against the key's budget: a client looping on a bad body is slowed down too", async () => {
    server = await each.start({ limits: { integration: { perKey: 3, windowMs: 60_000 } } });
    const tech = await server.technician(PERMS);
    const a = await newKey(tech.token, "a");
    const b = await newKey(tech.token, "b");
    expect((await createSession(a.key, { bogus: 1 })).status).toBe(400);
    const malformed = await fetch(`${server.url}/api/v1/integration/sessions`, {
      method: "POST",
      headers: { authorization: `Bearer ${a.key}`, "content-type": "application/json" },
      body: "{not json",
    });
    expect(malformed.status).toBe(400);
    expect((await server.api("POST", "/api/v1/integration/sessions/no%20such/pin", { token: a.key })).status).toBe(400);
    const limited = await createSession(a.key, { bogus: 1 });
    expect(limited.status).toBe(429);
    expect(ErrorBody.parse(limited.body).error.code).toBe("rate_limited");
    // Even a good request now waits; the other key has its own budget.
    expect((await createSession(a.key)).status).toBe(429);
    expect((await createSession(b.key)).status).toBe(201);
  });
});

describe("the OpenAPI document", () => {
  it("is served without auth and describes the calls with the protocol's schemas", async () => {
    server = await each.start({ publicUrl: "https://rescue.example.test" });
    const res = await server.api("GET", "/api/v1/openapi.json");
    expect(res.status).toBe(200);
    const doc = res.body;
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.servers).toEqual([{ url: "https://rescue.example.test" }]);
    expect(Object.keys(doc.paths).sort()).toEqual([
      "/api/v1/apikeys",
      "/api/v1/apikeys/{id}",
      "/api/v1/integration/sessions",
      "/api/v1/integration/sessions/{id}/pin",
    ]);
    const create = doc.paths["/api/v1/integration/sessions"].post;
    expect(create.security).toEqual([{ apiKey: [] }]);
    expect(Object.keys(create.responses)).toEqual(expect.arrayContaining(["201", "400", "401", "403", "429"]));
    const out = doc.components.schemas.IntegrationSession;
    expect(out.required.sort()).toEqual(["expiresAt", "links", "pin", "sessionId"]);
    expect(out.properties.pin.pattern).toBe("^\\d{6}$");
    expect(doc.components.schemas.IntegrationSessionRequest.properties.language.enum).toEqual(["en", "nl", "de"]);
    // Every $ref points at a schema that exists.
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/(\w+)"/g)].map((m) => m[1]!);
    for (const name of refs) expect(doc.components.schemas).toHaveProperty(name);
  });
});

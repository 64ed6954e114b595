import { afterEach, describe, expect, it } from "vitest";
import { ErrorBody, LoginResponse, MAX_MESSAGE_BYTES, Me, ServerConfig } from "../../src/protocol/index.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("login and tokens", () => {
  it("logs in with the right password and the token opens /me", async () => {
    server = await startTestServer();
    const tech = await server.technician(["lens", "private", "pin"]);
    const res = await server.api("POST", "/api/v1/auth/login", { body: { email: tech.email.toUpperCase(), password: tech.password } });
    expect(res.status).toBe(200);
    const login = LoginResponse.parse(res.body);
    expect(login.technician.email).toBe(tech.email);
    expect(login.technician.permissions.sort()).toEqual(["lens", "pin", "private"]);
    const me = await server.api("GET", "/api/v1/me", { token: login.token });
    expect(Me.parse(me.body).email).toBe(tech.email);
  });

  it("refuses a bad password and an unknown account with the same answer", async () => {
    server = await startTestServer();
    const tech = await server.technician([]);
    const bad = await server.api("POST", "/api/v1/auth/login", { body: { email: tech.email, password: "wrong" } });
    const unknown = await server.api("POST", "/api/v1/auth/login", { body: { email: "nobody@example.test", password: "wrong" } });
    expect(bad.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(ErrorBody.parse(bad.body)).toEqual(ErrorBody.parse(unknown.body));
  });

  it("an attacker who knows a technician's email cannot lock them out: wrong passwords block only that account from that address", async () => {
    server = await startTestServer({ limits: { login: { perAccountSource: { burst: 3, windowMs: 60_000 }, perSource: { burst: 100, windowMs: 60_000 } } } });
    const tech = await server.technician([]);
    const attacker = "127.0.0.2";
    const login = (email: string, password: string, from: string) => server!.api("POST", "/api/v1/auth/login", { body: { email, password }, from });
    for (let i = 0; i < 3; i++) {
      expect((await login(tech.email, "nope", attacker)).status).toBe(401);
      expect((await login("ghost@example.test", "nope", attacker)).status).toBe(401);
    }
    // From the attacker's address even the right password is refused, saying nothing of the account ...
    const blocked = await login(tech.email, tech.password, attacker);
    const ghost = await login("ghost@example.test", "nope", attacker);
    expect(blocked.status).toBe(429);
    expect(blocked.body).toEqual(ghost.body);
    expect(ErrorBody.parse(blocked.body).error.code).toBe("rate_limited");
    // ... while the technician, from their own address, logs in at once.
    const own = await login(tech.email, tech.password, "127.0.0.1");
    expect(own.status, JSON.stringify(own.body)).toBe(200);
    expect((await login(tech.email, tech.password, "127.0.0.3")).status).toBe(200);
  });

  it("rate-limits failed logins per address across accounts", async () => {
    server = await startTestServer({ limits: { login: { perAccountSource: { burst: 100, windowMs: 60_000 }, perSource: { burst: 4, windowMs: 60_000 } } } });
    const tech = await server.technician([]);
    for (let i = 0; i < 4; i++) {
      const res = await server.api("POST", "/api/v1/auth/login", { body: { email: `guess${i}@example.test`, password: "x" }, from: "127.0.0.2" });
      expect(res.status).toBe(401);
    }
    const res = await server.api("POST", "/api/v1/auth/login", { body: { email: tech.email, password: tech.password }, from: "127.0.0.2" });
    expect(res.status).toBe(429);
    expect((await server.api("POST", "/api/v1/auth/login", { body: { email: tech.email, password: tech.password } })).status).toBe(200);
  });

  it("logout ends the token; expired tokens are refused", async () => {
    let offsetMs = 0;
    server = await startTestServer({ now: () => new Date(Date.now() + offsetMs) });
    const tech = await server.technician([]);
    expect((await server.api("POST", "/api/v1/auth/logout", { token: tech.token })).status).toBe(204);
    expect((await server.api("GET", "/api/v1/me", { token: tech.token })).status).toBe(401);

    const token = await server.login(tech.email, tech.password);
    expect((await server.api("GET", "/api/v1/me", { token })).status).toBe(200);
    offsetMs = 13 * 60 * 60 * 1000;
    const expired = await server.api("GET", "/api/v1/me", { token });
    expect(expired.status).toBe(401);
    expect(ErrorBody.parse(expired.body).error.code).toBe("unauthenticated");
  });

  it("refuses requests without or with a malformed token", async () => {
    server = await startTestServer();
    expect((await server.api("GET", "/api/v1/sessions")).status).toBe(401);
    const res = await fetch(`${server.url}/api/v1/me`, { headers: { authorization: "Basic abc" } });
    expect(res.status).toBe(401);
    ErrorBody.parse(await res.json());
  });

  it("serves the config to technicians", async () => {
    server = await startTestServer({ iceServers: [{ urls: "stun:127.0.0.1:3478" }], publicUrl: "https://rescue.example.test" });
    const tech = await server.technician([]);
    const res = await server.api("GET", "/api/v1/config", { token: tech.token });
    expect(ServerConfig.parse(res.body)).toEqual({ iceServers: [{ urls: "stun:127.0.0.1:3478" }], publicUrl: "https://rescue.example.test" });
  });
});

describe("admin routes", () => {
  it("are refused to technicians who are not admins", async () => {
    server = await startTestServer();
    const tech = await server.technician(["lens", "private", "pin", "sms", "link", "email", "chat", "record"]);
    for (const [method, path, body] of [
      ["GET", "/api/v1/admin/groups", undefined],
      ["POST", "/api/v1/admin/groups", { name: "x", permissions: [] }],
      ["PATCH", "/api/v1/admin/groups/Administrators", { permissions: [] }],
      ["GET", "/api/v1/admin/technicians", undefined],
      ["POST", "/api/v1/admin/technicians", { email: "a@example.test", group: "Administrators" }],
    ] as const) {
      const res = await server.api(method, path, { token: tech.token, body });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(ErrorBody.parse(res.body).error.code).toBe("forbidden");
    }
    const groups = await server.api("GET", "/api/v1/admin/groups", { token: server.admin.token });
    expect(groups.body.map((g: { name: string }) => g.name)).toContain("Administrators");
  });

  it("creates, patches and lists groups and technicians", async () => {
    server = await startTestServer();
    const created = await server.createGroup("Field team", ["lens", "private"]);
    expect(created.settings).toEqual({ pinExpiryMinutes: 20, maxTechnicians: 5 });
    const dup = await server.api("POST", "/api/v1/admin/groups", { token: server.admin.token, body: { name: "Field team" } });
    expect(dup.status).toBe(409);
    const patched = await server.api("PATCH", `/api/v1/admin/groups/${encodeURIComponent("Field team")}`, {
      token: server.admin.token,
      body: { permissions: ["lens", "private", "sms"], settings: { pinExpiryMinutes: 5 } },
    });
    expect(patched.body).toEqual({ name: "Field team", permissions: ["lens", "private", "sms"], settings: { pinExpiryMinutes: 5, maxTechnicians: 5 } });
    const missing = await server.api("PATCH", "/api/v1/admin/groups/nope", { token: server.admin.token, body: {} });
    expect(missing.status).toBe(404);
    const tech = await server.addTechnician({ group: "Field team", email: "ann@example.test" });
    const again = await server.api("POST", "/api/v1/admin/technicians", { token: server.admin.token, body: { email: "ann@example.test", group: "Field team" } });
    expect(again.status).toBe(409);
    const noGroup = await server.api("POST", "/api/v1/admin/technicians", { token: server.admin.token, body: { email: "bob@example.test", group: "nope" } });
    expect(noGroup.status).toBe(404);
    const list = await server.api("GET", "/api/v1/admin/technicians", { token: server.admin.token });
    expect(list.body.find((t: { email: string }) => t.email === tech.email)).toMatchObject({ group: "Field team", admin: false, permissions: ["lens", "private", "sms"] });
  });
});

describe("malformed input", () => {
  it("answers malformed JSON, wrong shapes, oversized bodies and unknown routes with ErrorBody", async () => {
    server = await startTestServer();
    const post = (body: string, type = "application/json") =>
      fetch(`${server!.url}/api/v1/auth/login`, { method: "POST", headers: { "content-type": type }, body });
    const malformed = await post("{not json");
    expect(malformed.status).toBe(400);
    expect(ErrorBody.parse(await malformed.json()).error.code).toBe("bad_request");
    const shape = await post(JSON.stringify({ email: "not-an-email", password: "" }));
    expect(shape.status).toBe(400);
    expect(ErrorBody.parse(await shape.json()).error.message).toMatch(/email/);
    const big = await post(JSON.stringify({ email: "a@example.test", password: "x".repeat(MAX_MESSAGE_BYTES + 10) }));
    expect(big.status).toBe(413);
    expect(ErrorBody.parse(await big.json()).error.code).toBe("payload_too_large");
    const text = await post("hello", "text/plain");
    expect(text.status).toBe(400);
    ErrorBody.parse(await text.json());
    const missing = await fetch(`${server.url}/api/v1/nothing`);
    expect(missing.status).toBe(404);
    expect(ErrorBody.parse(await missing.json()).error.code).toBe("not_found");
    // Still serving.
    expect((await server.api("GET", "/api/v1/me", { token: server.admin.token })).status).toBe(200);
  });
});

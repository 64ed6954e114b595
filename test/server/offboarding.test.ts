import Database from "better-sqlite3";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CreatedApiKey, ErrorBody, OffboardResult, PasswordReset, Technician, WS_CLOSE, type Permission } from "../../src/protocol/index.js";
import { DATABASE_FILE } from "../../src/server/store/sqlite.js";
import { customerReady, openTechnicianWs, serverPerTest, type TestServer } from "../helpers/server.js";

// Off-boarding, written as the attacks it stops: a technician who left (or whose password leaked)
// keeps trying with what they still hold: their token, their open socket, their API key, their password.

const each = serverPerTest();
let server: TestServer;
const PERMS: Permission[] = ["lens", "private", "pin", "link"];
const enc = encodeURIComponent;

const asAdmin = (method: string, path: string, body?: unknown) => server.api(method, path, { token: server.admin.token, body });
const me = (token: string) => server.api("GET", "/api/v1/me", { token });
const login = (email: string, password: string) => server.api("POST", "/api/v1/auth/login", { body: { email, password } });
const technicianSocket = async (token: string) => {
  const ws = each.keep(await openTechnicianWs(server, token));
  await ws.next("sessions");
  return ws;
};

describe("off-boarding a technician", () => {
  it("remove: the held token is refused at once, the open socket closes (4401, why), the password and the API key stop working; the address stays with the removed account", async () => {
    server = await each.start();
    const tech = await server.technician(PERMS);
    const key = CreatedApiKey.parse((await server.api("POST", "/api/v1/apikeys", { token: tech.token, body: { name: "chat" } })).body).key;
    const second = await server.login(tech.email, tech.password);
    const s = (await server.api("POST", "/api/v1/sessions", { token: tech.token, body: { method: "pin", name: "Jane" } })).body;
    expect((await server.api("POST", `/api/v1/sessions/${s.id}/end`, { token: tech.token })).status).toBe(200);
    const socket = await technicianSocket(tech.token);

    const res = await asAdmin("DELETE", `/api/v1/admin/technicians/${enc(tech.email)}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(OffboardResult.parse(res.body)).toMatchObject({ email: tech.email, status: "removed", revokedTokens: 2, endedSessions: [] });

    expect(await socket.closed).toEqual({ code: WS_CLOSE.unauthenticated, reason: "account removed by an administrator" });
    for (const token of [tech.token, second]) expect((await me(token)).status).toBe(401);
    expect((await login(tech.email, tech.password)).status).toBe(401);
    // The same answer as a wrong password: a guesser learns nothing of the account.
    expect((await login(tech.email, tech.password)).body).toEqual((await login(tech.email, "wrong")).body);
    expect((await server.api("POST", "/api/v1/integration/sessions", { token: key, body: {} })).status).toBe(401);
    // A socket with the old token is refused too.
    const retry = each.keep(await openTechnicianWs(server, tech.token));
    expect((await retry.closed).code).toBe(WS_CLOSE.unauthenticated);

    const listed = (await asAdmin("GET", "/api/v1/admin/technicians")).body.map((t: unknown) => Technician.parse(t));
    expect(listed.find((t: Technician) => t.email === tech.email)?.status).toBe("removed");
    // The address stays with the removed account (its session log names it): not added again.
    expect((await asAdmin("POST", "/api/v1/admin/technicians", { email: tech.email, group: "Administrators" })).status).toBe(409);
    // Removed is final: not enabled again, not removed twice.
    expect((await asAdmin("PATCH", `/api/v1/admin/technicians/${enc(tech.email)}`, { disabled: false })).status).toBe(404);
    expect((await asAdmin("DELETE", `/api/v1/admin/technicians/${enc(tech.email)}`)).status).toBe(404);
  });

  it("disable takes access away like remove; enable gives the password back, never the revoked tokens", async () => {
    server = await each.start();
    const tech = await server.technician(PERMS);
    const socket = await technicianSocket(tech.token);
    const res = await asAdmin("PATCH", `/api/v1/admin/technicians/${enc(tech.email)}`, { disabled: true });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(OffboardResult.parse(res.body)).toMatchObject({ status: "disabled", revokedTokens: 1 });
    expect(await socket.closed).toEqual({ code: WS_CLOSE.unauthenticated, reason: "account disabled by an administrator" });
    expect((await me(tech.token)).status).toBe(401);
    expect((await login(tech.email, tech.password)).status).toBe(401);

    const enabled = await asAdmin("PATCH", `/api/v1/admin/technicians/${enc(tech.email)}`, { disabled: false });
    expect(OffboardResult.parse(enabled.body).status).toBe("active");
    expect((await me(tech.token)).status).toBe(401);
    const fresh = await server.login(tech.email, tech.password);
    expect((await me(fresh)).status).toBe(200);
  });

  it("a technician leading a live session is refused unless forced; forced, the session ends and its customer is told", async () => {
    server = await each.start();
    const tech = await server.technician(PERMS);
    const s = (await server.api("POST", "/api/v1/sessions", { token: tech.token, body: { method: "pin", name: "Jane" } })).body;
    const customer = each.keep(await customerReady(server, s.pin));

    for (const attempt of [
      () => asAdmin("DELETE", `/api/v1/admin/technicians/${enc(tech.email)}`),
      () => asAdmin("PATCH", `/api/v1/admin/technicians/${enc(tech.email)}`, { disabled: true }),
    ]) {
      const refused = await attempt();
      expect(refused.status).toBe(409);
      expect(ErrorBody.parse(refused.body).error.message).toContain(s.id);
    }
    // Nothing was taken away by the refusals.
    expect((await me(tech.token)).status).toBe(200);

    const forced = await asAdmin("DELETE", `/api/v1/admin/technicians/${enc(tech.email)}?force=true`);
    expect(forced.status, JSON.stringify(forced.body)).toBe(200);
    expect(OffboardResult.parse(forced.body).endedSessions).toEqual([s.id]);
    expect((await customer.closed).code).toBe(WS_CLOSE.sessionEnded);
    expect((await me(tech.token)).status).toBe(401);
    // The session log says which administrator ended it (read from the store file: nobody else may read that log now).
    const db = new Database(join(server.dataDir, DATABASE_FILE), { readonly: true });
    try {
      const rows = db.prepare("SELECT entry FROM session_log WHERE session_id = ? AND event = 'closed'").all(s.id) as { entry: string }[];
      expect(rows.map((r) => JSON.parse(r.entry).by)).toEqual([server.admin.email]);
    } finally {
      db.close();
    }
  });

  it("reset-password: a new password shown once; the old password and every old token stop working, the socket closes", async () => {
    server = await each.start();
    const tech = await server.technician(PERMS);
    const socket = await technicianSocket(tech.token);
    const res = await asAdmin("POST", `/api/v1/admin/technicians/${enc(tech.email)}/password`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const reset = PasswordReset.parse(res.body);
    expect(reset.password).not.toBe(tech.password);
    expect(reset.revokedTokens).toBe(1);
    expect((await socket.closed).code).toBe(WS_CLOSE.unauthenticated);
    expect((await me(tech.token)).status).toBe(401);
    expect((await login(tech.email, tech.password)).status).toBe(401);
    expect((await login(tech.email, reset.password)).status).toBe(200);
  });

  it("move: the technician's permissions are the new group's from the next request on", async () => {
    server = await each.start();
    const tech = await server.technician(["lens"]);
    const wider = await server.createGroup("Wider", ["lens", "private", "pin"]);
    const res = await asAdmin("PATCH", `/api/v1/admin/technicians/${enc(tech.email)}`, { group: wider.name });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(OffboardResult.parse(res.body)).toMatchObject({ group: "Wider", status: "active", revokedTokens: 0 });
    expect((await me(tech.token)).body.permissions.sort()).toEqual(["lens", "pin", "private"]);
    expect((await asAdmin("PATCH", `/api/v1/admin/technicians/${enc(tech.email)}`, { group: "Nowhere" })).status).toBe(404);
    expect((await asAdmin("PATCH", `/api/v1/admin/technicians/${enc(tech.email)}`, {})).status).toBe(400);
  });

  it("the last administrator who can log in cannot remove or disable themselves; with a second admin they can", async () => {
    server = await each.start();
    const self = enc(server.admin.email);
    for (const attempt of [() => asAdmin("DELETE", `/api/v1/admin/technicians/${self}`), () => asAdmin("PATCH", `/api/v1/admin/technicians/${self}`, { disabled: true })]) {
      const refused = await attempt();
      expect(refused.status).toBe(409);
      expect(ErrorBody.parse(refused.body).error.message).toMatch(/last administrator/);
    }
    expect((await me(server.admin.token)).status).toBe(200);

    const other = await server.addTechnician({ group: "Administrators", admin: true });
    const res = await asAdmin("PATCH", `/api/v1/admin/technicians/${self}`, { disabled: true });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect((await me(server.admin.token)).status).toBe(401);
    // Now the other is the last one.
    const last = await server.api("DELETE", `/api/v1/admin/technicians/${enc(other.email)}`, { token: other.token });
    expect(last.status).toBe(409);
  });

  it("a technician who is not an administrator can do none of it (403), and nothing changes", async () => {
    server = await each.start();
    const victim = await server.technician(PERMS);
    const attacker = await server.technician(PERMS);
    await asAdmin("POST", "/api/v1/admin/external-technicians", { email: "vendor@partner.test" });
    await server.createGroup("Empty", []);
    const attempts: [string, string, unknown?][] = [
      ["DELETE", `/api/v1/admin/technicians/${enc(victim.email)}?force=true`],
      ["PATCH", `/api/v1/admin/technicians/${enc(victim.email)}`, { disabled: true }],
      ["PATCH", `/api/v1/admin/technicians/${enc(attacker.email)}`, { group: "Administrators" }],
      ["POST", `/api/v1/admin/technicians/${enc(victim.email)}/password`],
      ["DELETE", `/api/v1/admin/external-technicians/${enc("vendor@partner.test")}`],
      ["DELETE", "/api/v1/admin/groups/Empty"],
    ];
    for (const [method, path, body] of attempts) {
      const res = await server.api(method, path, { token: attacker.token, body });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect((await server.api(method, path, { body })).status, `${method} ${path} without a token`).toBe(401);
    }
    expect((await me(victim.token)).status).toBe(200);
    expect((await login(victim.email, victim.password)).status).toBe(200);
    expect((await me(attacker.token)).body.group).not.toBe("Administrators");
    expect((await asAdmin("GET", "/api/v1/admin/external-technicians")).body).toHaveLength(1);
    expect((await asAdmin("GET", "/api/v1/admin/groups")).body.map((g: { name: string }) => g.name)).toContain("Empty");
  });
});

describe("withdrawing an external technician and deleting a group", () => {
  it("an approval withdrawn is gone from the list; withdrawing again is not found", async () => {
    server = await each.start();
    expect((await asAdmin("POST", "/api/v1/admin/external-technicians", { email: "vendor@partner.test", name: "Vendor" })).status).toBe(201);
    const res = await asAdmin("DELETE", `/api/v1/admin/external-technicians/${enc("Vendor@Partner.test")}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ email: "vendor@partner.test", name: "Vendor" });
    expect((await asAdmin("GET", "/api/v1/admin/external-technicians")).body).toEqual([]);
    expect((await asAdmin("DELETE", `/api/v1/admin/external-technicians/${enc("vendor@partner.test")}`)).status).toBe(404);
  });

  it("a group is refused while it has technicians, removed ones included (named), and deleted once they are moved", async () => {
    server = await each.start();
    await server.createGroup("Leaving", ["lens"]);
    await server.createGroup("Staying", ["lens"]);
    const tech = await server.addTechnician({ group: "Leaving" });
    const refused = await asAdmin("DELETE", "/api/v1/admin/groups/Leaving");
    expect(refused.status).toBe(409);
    expect(ErrorBody.parse(refused.body).error.message).toContain(tech.email);
    await asAdmin("DELETE", `/api/v1/admin/technicians/${enc(tech.email)}`);
    const still = await asAdmin("DELETE", "/api/v1/admin/groups/Leaving");
    expect(still.status).toBe(409);
    expect(ErrorBody.parse(still.body).error.message).toContain(`${tech.email} (removed)`);
    expect((await asAdmin("PATCH", `/api/v1/admin/technicians/${enc(tech.email)}`, { group: "Staying" })).status).toBe(200);
    const deleted = await asAdmin("DELETE", "/api/v1/admin/groups/Leaving");
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
    expect(deleted.body.name).toBe("Leaving");
    expect((await asAdmin("GET", "/api/v1/admin/groups")).body.map((g: { name: string }) => g.name)).not.toContain("Leaving");
    expect((await asAdmin("DELETE", "/api/v1/admin/groups/Leaving")).status).toBe(404);
  });
});

import { afterEach, expect, it } from "vitest";
import { Session } from "../../src/protocol/index.js";
import { openSqliteStore } from "../../src/server/store/sqlite.js";
import { customerReady, openCustomerWs, startTestServer, type TestServer } from "../helpers/server.js";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

it("keeps technicians, groups, tokens, sessions, logs and the outbox across a restart", async () => {
  server = await startTestServer();
  const tech = await server.technician(["lens", "private", "pin", "sms", "chat"], { pinExpiryMinutes: 30 });
  const bySms = Session.parse((await server.api("POST", "/api/v1/sessions", { token: tech.token, body: { method: "sms", to: "+31612345678" } })).body);
  const live = Session.parse((await server.api("POST", "/api/v1/sessions", { token: tech.token, body: { method: "pin", name: "Live" } })).body);
  const c = await customerReady(server, live.pin!);
  await server.api("POST", `/api/v1/sessions/${live.id}/start`, { token: tech.token });
  await server.api("POST", `/api/v1/sessions/${live.id}/chat`, { token: tech.token, body: { text: "before restart" } });
  await server.api("POST", `/api/v1/sessions/${bySms.id}/end`, { token: tech.token });

  const read = async (token: string) => ({
    groups: (await server!.api("GET", "/api/v1/admin/groups", { token: server!.admin.token })).body,
    technicians: (await server!.api("GET", "/api/v1/admin/technicians", { token: server!.admin.token })).body,
    sessions: (await server!.api("GET", "/api/v1/sessions", { token })).body,
    logs: [
      (await server!.api("GET", `/api/v1/sessions/${live.id}/log`, { token })).body,
      (await server!.api("GET", `/api/v1/sessions/${bySms.id}/log`, { token })).body,
    ],
  });
  const before = await read(tech.token);
  await server.restart();
  await c.closed;

  // The old token still works, and so does the password.
  const after = await read(tech.token);
  expect(after.groups).toEqual(before.groups);
  expect(after.technicians).toEqual(before.technicians);
  expect(after.logs[1]).toEqual(before.logs[1]);
  // The live session's customer was connected to the old process: away, logged why, and free to come back.
  expect(after.sessions.map((s: Session) => [s.id, s.status])).toEqual([
    [live.id, "active"],
    [bySms.id, "closed"],
  ]);
  expect(after.sessions[0].customer.away).toMatchObject({ since: expect.any(String), until: expect.any(String) });
  expect(after.logs[0].slice(0, before.logs[0].length)).toEqual(before.logs[0]);
  expect(after.logs[0].slice(before.logs[0].length)).toMatchObject([{ event: "customer-disconnected", reason: "server restarted", graceMs: 120_000 }]);
  const back = await openCustomerWs(server);
  back.send({ type: "resume", sessionId: live.id, token: c.joined.resume.token });
  expect(await back.next("joined")).toMatchObject({ sessionId: live.id, resumed: true });
  expect(await back.next("status")).toEqual({ type: "status", status: "active" });
  await back.close();
  expect(after.groups.find((g: { settings: { pinExpiryMinutes: number } }) => g.settings.pinExpiryMinutes === 30)).toBeTruthy();
  expect(await server.login(tech.email, tech.password)).toBeTruthy();
  expect(after.logs[0].map((e: { event: string }) => e.event)).toContain("chat");

  // The outbox is in the same store.
  await server.restart();
  const store = openSqliteStore(server.dataDir);
  try {
    const outbox = await store.outbox.list();
    expect(outbox).toHaveLength(1);
    expect(outbox[0]).toMatchObject({ channel: "sms", to: "+31612345678" });
    expect(outbox[0]!.body).toContain(bySms.pin!);
  } finally {
    store.close();
  }
});

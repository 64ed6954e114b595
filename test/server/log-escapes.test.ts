import { describe, expect, it } from "vitest";
import { Session, type Permission } from "../../src/protocol/index.js";
import { customerReady, openTechnicianWs, serverPerTest, type TestServer } from "../helpers/server.js";

const each = serverPerTest();
let server: TestServer | undefined;

const LEAD: Permission[] = ["lens", "private", "pin", "chat", "invite-internal"];
const ESCAPES = "\u001b]0;pwned\u0007\u001b[2J\u009b31m";
const SHOWN = "^[]0;pwned^G^[[2J\\x9b31m";

/**
 * The attack: a collaborator's own client (not the daemon) writes a media event whose reason,
 * message and path carry terminal escapes. The session log is printed by every technician in the
 * session (`rescue session log`, the console's log view): the server keeps the text, in caret notation.
 */
describe("media events with terminal escapes", () => {
  it("a collaborator's reason, message and path land in the lead's session log in caret notation", async () => {
    server = await each.start();
    const lead = await server.technician(LEAD);
    const helper = await server.technician(["lens", "private", "pin"]);
    const s = Session.parse((await server.api("POST", "/api/v1/sessions", { token: lead.token, body: { method: "pin", name: "Jane" } })).body);
    const c = await customerReady(server, s.pin!);
    each.keep(c);
    expect((await server.api("POST", `/api/v1/sessions/${s.id}/start`, { token: lead.token })).status).toBe(200);
    const invited = await server.api("POST", `/api/v1/sessions/${s.id}/invitations`, {
      token: lead.token,
      body: { kind: "internal", to: helper.email, permissions: ["view", "record"] },
    });
    expect(invited.status, JSON.stringify(invited.body)).toBe(201);
    const joined = await server.api("POST", "/api/v1/invitations/join", { token: helper.token, body: { pin: invited.body.pin } });
    expect(joined.status, JSON.stringify(joined.body)).toBe(200);

    const t = await openTechnicianWs(server, helper.token);
    each.keep(t);
    await t.next("sessions");
    t.send({ type: "media", sessionId: s.id, event: "media-lost", detail: { reason: ESCAPES } });
    t.send({ type: "media", sessionId: s.id, event: "snapshot", detail: { path: `/tmp/${ESCAPES}.png`, message: ESCAPES } });
    // A reason that would print as a second, forged line of the lead's log.
    t.send({ type: "media", sessionId: s.id, event: "media-restored", detail: { reason: `x\n2026-11-30T18:11:00.000Z\tended\tby=${lead.email}` } });

    const log = async () => (await server!.api("GET", `/api/v1/sessions/${s.id}/log`, { token: lead.token })).body as Record<string, unknown>[];
    await expect.poll(async () => (await log()).map((e) => e.event)).toContain("media-restored");
    const entries = await log();
    expect(entries.find((e) => e.event === "media-lost")).toMatchObject({ reason: SHOWN, by: helper.email });
    expect(entries.find((e) => e.event === "snapshot")).toMatchObject({ message: SHOWN, by: helper.email });
    expect(entries.find((e) => e.event === "media-restored")).toMatchObject({ reason: `x^J2026-11-30T18:11:00.000Z^Iended^Iby=${lead.email}` });
    expect(JSON.stringify(entries)).not.toMatch(/\\u001b|\\u0007|\\u009b|[\u001b\u0007\u009b]/);
  });
});

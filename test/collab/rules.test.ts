import { describe, expect, it } from "vitest";
import { InviteResponse, JoinResponse, Session, SessionLogEntry, type Permission } from "../../src/protocol/index.js";
import { redactUrl } from "../../src/server/app.js";
import { customerReady, openTechnicianWs, serverPerFile, type Account, type TestServer, type WsProbe } from "../helpers/server.js";

const LEAD: Permission[] = ["lens", "private", "pin", "link", "email", "chat", "record", "invite-internal", "invite-external", "invite-unlisted", "transfer"];

/** The collaboration rules on the server's API, with a customer socket and technician sockets (no media). */
describe("collaboration rules on the server", () => {
  let server: TestServer;
  const keep = serverPerFile((s) => (server = s));

  /** A session of `lead`, made active with a customer on its socket. */
  async function activeSession(lead: Account): Promise<{ id: string; customer: WsProbe }> {
    const created = await server.api("POST", "/api/v1/sessions", { token: lead.token, body: { type: "lens", method: "pin" } });
    const customer = await customerReady(server, created.body.pin);
    keep(customer);
    const started = await server.api("POST", `/api/v1/sessions/${created.body.id}/start`, { token: lead.token });
    expect(started.status).toBe(200);
    return { id: created.body.id, customer };
  }

  const invite = (lead: Account, id: string, body: unknown) => server.api("POST", `/api/v1/sessions/${id}/invitations`, { token: lead.token, body });
  const join = (pin: string, token?: string) => server.api("POST", "/api/v1/invitations/join", { ...(token ? { token } : {}), body: { pin } });

  it("invites only into Active sessions, only as the group allows, and within maxTechnicians", async () => {
    const lead = await server.technician(LEAD, { maxTechnicians: 3 });
    const other = await server.technician(["lens", "private", "pin"]);
    const noExternal = await server.technician(LEAD.filter((p) => p !== "invite-external"));

    const created = await server.api("POST", "/api/v1/sessions", { token: lead.token, body: { type: "lens", method: "pin" } });
    const early = await invite(lead, created.body.id, { kind: "internal", to: other.email });
    expect(early.status).toBe(409);
    expect(early.body.error.message).toMatch(/only into an Active session/);

    const { id, customer } = await activeSession(lead);
    const refused = await invite(noExternal, (await activeSession(noExternal)).id, { kind: "external", via: "pin" });
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toMatch(/invite-external/);
    expect((await invite(lead, id, { kind: "internal", to: "nobody@example.test" })).status).toBe(404);

    // Lead + 2 = maxTechnicians 3: one internal and one external invitation fit, a third does not.
    const internal = InviteResponse.parse((await invite(lead, id, { kind: "internal", to: other.email, permissions: ["view"], comment: "look at the LEDs" })).body);
    expect(internal.invitation).toMatchObject({ kind: "internal", to: other.email, permissions: ["view"], comment: "look at the LEDs", status: "pending" });
    const external = InviteResponse.parse((await invite(lead, id, { kind: "external", via: "link", permissions: ["view", "chat"] })).body);
    expect(external.link).toBe(`${server.url}/collaborate/${external.pin}`);
    const third = await invite(lead, id, { kind: "external", via: "pin" });
    expect(third.status).toBe(403);
    expect(third.body.error.message).toMatch(/at most 3 technicians/);

    // The internal PIN is the invitee's alone; the external one needs no login and gives a scoped token.
    expect((await join(internal.pin!)).status).toBe(401);
    expect((await join(internal.pin!, lead.token)).status).toBe(403);
    const otherWs = await openTechnicianWs(server, other.token);
    keep(otherWs);
    const joinedInternal = JoinResponse.parse((await join(internal.pin!, other.token)).body);
    expect(joinedInternal.token).toBeUndefined();
    expect(joinedInternal.session.status).toBe("active");
    expect(await customer.next("peer")).toEqual({ type: "peer", peer: internal.invitation.id, event: "joined" });
    expect((await join(internal.pin!, other.token)).status).toBe(404);
    // A reconnecting collaborator finds the session in their snapshot, and the customer offers to them again.
    const again = await openTechnicianWs(server, other.token);
    expect((await again.next("sessions")).sessions.map((s: Session) => s.id)).toContain(id);
    expect(await customer.next("peer")).toEqual({ type: "peer", peer: internal.invitation.id, event: "joined" });
    await again.close();

    expect((await join(external.pin!, other.token)).status).toBe(403);
    const joinedExternal = JoinResponse.parse((await join(external.pin!)).body);
    expect(joinedExternal.token).toEqual(expect.any(String));
    expect(joinedExternal.session.status).toBe("collaborating");
    expect(joinedExternal.session.collaborators?.map((c) => c.external)).toEqual([false, true]);

    // Hold and resume keep the session Collaborating while an external technician is in.
    expect((await server.api("POST", `/api/v1/sessions/${id}/hold`, { token: lead.token })).body.status).toBe("on-hold");
    expect((await server.api("POST", `/api/v1/sessions/${id}/resume`, { token: lead.token })).body.status).toBe("collaborating");

    // The scoped token reaches its session and nothing else.
    const scoped = joinedExternal.token!;
    expect((await server.api("GET", `/api/v1/sessions/${id}`, { token: scoped })).status).toBe(200);
    // What is the lead's (or the organisation's) is refused as not theirs to do, not as a bad login.
    for (const [method, path, body] of [
      ["GET", "/api/v1/sessions", undefined],
      ["POST", "/api/v1/sessions", { type: "lens", method: "pin" }],
      ["POST", `/api/v1/sessions/${id}/end`, undefined],
      ["POST", `/api/v1/sessions/${id}/hold`, undefined],
      ["POST", `/api/v1/sessions/${id}/pin`, undefined],
      ["POST", `/api/v1/sessions/${id}/invitations`, { kind: "external", via: "pin" }],
    ] as const) {
      const refused = await server.api(method, path, { token: scoped, ...(body ? { body } : {}) });
      expect(refused.status, `${method} ${path}`).toBe(403);
      expect(refused.body.error.message).toMatch(/only the lead technician may do this/);
    }
    const externalWs = await openTechnicianWs(server, scoped);
    keep(externalWs);
    expect((await externalWs.next("sessions")).sessions.map((s: Session) => s.id)).toEqual([id]);
    expect(await customer.next("peer")).toEqual({ type: "peer", peer: external.invitation.id, event: "joined" });

    // Permissions are enforced on every message: the internal one has view only, so no chat.
    const chat = await server.api("POST", `/api/v1/sessions/${id}/chat`, { token: other.token, body: { text: "hi" } });
    expect(chat.status).toBe(403);
    expect(chat.body.error.message).toMatch(/permission: chat/);
    expect((await server.api("POST", `/api/v1/sessions/${id}/chat`, { token: scoped, body: { text: "external here" } })).status).toBe(200);
    externalWs.send({ type: "media", sessionId: id, event: "recording-started", detail: { path: "/tmp/x.webm" } });
    expect(await externalWs.next("error")).toMatchObject({ code: "forbidden" });
    const patched = await server.api("PATCH", `/api/v1/sessions/${id}/collaborators/${internal.invitation.id}`, { token: lead.token, body: { permissions: ["view", "chat"] } });
    expect(patched.status).toBe(200);
    expect((await server.api("POST", `/api/v1/sessions/${id}/chat`, { token: other.token, body: { text: "now I can" } })).status).toBe(200);
    // Only the lead manages collaborators, and a collaborator is told so.
    const notLead = await server.api("PATCH", `/api/v1/sessions/${id}/collaborators/${internal.invitation.id}`, { token: other.token, body: { permissions: ["view", "chat", "record"] } });
    expect(notLead.status).toBe(403);
    expect(notLead.body.error.message).toMatch(/^only the lead technician can manage collaborators/);

    // Removing the last external technician: back to active, the scoped token is dead, the customer closes that peer.
    const removed = await server.api("POST", `/api/v1/sessions/${id}/collaborators/${external.invitation.id}/remove`, { token: lead.token });
    expect(removed.body).toMatchObject({ status: "active" });
    expect((await externalWs.closed).code).toBe(4403);
    expect((await server.api("GET", `/api/v1/sessions/${id}`, { token: scoped })).status).toBe(401);
    expect(await customer.next("peer")).toEqual({ type: "peer", peer: external.invitation.id, event: "left" });

    const log = (await server.api("GET", `/api/v1/sessions/${id}/log`, { token: lead.token })).body.map((e: unknown) => SessionLogEntry.parse(e));
    const events = log.map((e: SessionLogEntry) => e.event);
    expect(events.filter((e: string) => e === "invited")).toHaveLength(2);
    expect(events.filter((e: string) => e === "joined")).toHaveLength(2);
    const invited = log.find((e: SessionLogEntry) => e.event === "invited" && e.kind === "internal");
    expect(invited).toMatchObject({ to: other.email, comment: "look at the LEDs" });
    expect(invited?.pin).toBeUndefined();
    expect(log.find((e: SessionLogEntry) => e.event === "joined" && e.external === true)).toMatchObject({ status: "collaborating" });
    expect(log.find((e: SessionLogEntry) => e.event === "permissions-changed")).toMatchObject({ by: lead.email, technician: other.email, from: ["view"], to: ["view", "chat"] });
    expect(log.find((e: SessionLogEntry) => e.event === "removed")).toMatchObject({ by: lead.email, status: "active" });
  });

  it("invites approved external technicians with invite-external, unlisted ones only with invite-unlisted too", async () => {
    const approvedOnly = await server.technician(LEAD.filter((p) => p !== "invite-unlisted"));
    const { id } = await activeSession(approvedOnly);
    expect((await server.api("POST", "/api/v1/admin/external-technicians", { token: approvedOnly.token, body: { email: "x@partner.test" } })).status).toBe(403);
    const added = await server.api("POST", "/api/v1/admin/external-technicians", { token: server.admin.token, body: { email: "Vendor@Partner.test", name: "Vendor" } });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ email: "vendor@partner.test", name: "Vendor" });
    expect((await server.api("GET", "/api/v1/admin/external-technicians", { token: server.admin.token })).body.map((e: { email: string }) => e.email)).toContain("vendor@partner.test");

    const approved = await invite(approvedOnly, id, { kind: "external", via: "pin", to: "vendor@partner.test" });
    expect(approved.status).toBe(201);
    expect(approved.body.invitation).toMatchObject({ approved: true, to: "vendor@partner.test" });
    for (const body of [{ kind: "external", via: "link" }, { kind: "external", via: "email", to: "someone@else.test" }]) {
      const refused = await invite(approvedOnly, id, body);
      expect(refused.status).toBe(403);
      expect(refused.body.error.message).toMatch(/invite-unlisted/);
    }
    const joined = JoinResponse.parse((await join(approved.body.pin)).body);
    expect(joined.as).toBe("vendor@partner.test");

    const anyone = await server.technician(LEAD);
    const other = await activeSession(anyone);
    const unlisted = await invite(anyone, other.id, { kind: "external", via: "link" });
    expect(unlisted.status).toBe(201);
    expect(unlisted.body.invitation.approved).toBe(false);
    const log = (await server.api("GET", `/api/v1/sessions/${id}/log`, { token: approvedOnly.token })).body;
    expect(log.find((e: SessionLogEntry) => e.event === "invited")).toMatchObject({ kind: "external", approved: true, to: "vendor@partner.test" });
  });

  it("keeps invitation PINs out of the request log", () => {
    expect(redactUrl("/collaborate/123456")).toBe("/collaborate/******");
  });

  it("mails an external invitation with its link, permissions and comment", async () => {
    const lead = await server.technician(LEAD);
    const { id } = await activeSession(lead);
    const res = await invite(lead, id, { kind: "external", via: "email", to: "vendor@example.test", permissions: ["view"], comment: "camera firmware" });
    expect(res.status).toBe(201);
    const outbox = await import("../../src/server/store/sqlite.js").then(({ openSqliteStore }) => {
      const store = openSqliteStore(server.dataDir);
      return store.outbox.list().finally(() => store.close());
    });
    const mail = outbox.find((m) => m.to === "vendor@example.test");
    expect(mail?.body).toContain(`${server.url}/collaborate/${res.body.pin}`);
    expect(mail?.body).toContain("camera firmware");
    const log = (await server.api("GET", `/api/v1/sessions/${id}/log`, { token: lead.token })).body;
    expect(log.map((e: SessionLogEntry) => e.event)).toEqual(expect.arrayContaining(["invited", "email-queued"]));
  });

  it("a disabled or removed technician is neither invited nor handed a session", async () => {
    const lead = await server.technician(LEAD);
    const gone = await server.technician(["lens", "private", "pin"]);
    const { id } = await activeSession(lead);
    for (const how of ["disable", "remove"] as const) {
      const path = `/api/v1/admin/technicians/${encodeURIComponent(gone.email)}`;
      const done = how === "disable" ? await server.api("PATCH", path, { token: server.admin.token, body: { disabled: true } }) : await server.api("DELETE", path, { token: server.admin.token });
      expect(done.status, JSON.stringify(done.body)).toBe(200);
      const invited = await invite(lead, id, { kind: "internal", to: gone.email });
      expect(invited.status, how).toBe(403);
      expect(invited.body.error.message).toMatch(/disabled or removed/);
      const transferred = await server.api("POST", `/api/v1/sessions/${id}/transfer`, { token: lead.token, body: { to: gone.email } });
      expect(transferred.status, how).toBe(403);
      expect(transferred.body.error.message).toMatch(/disabled or removed/);
    }
  });

  it("transfers only to an online internal technician whose group and Lens slot allow it", async () => {
    const lead = await server.technician(LEAD);
    const noTransfer = await server.technician(LEAD.filter((p) => p !== "transfer"));
    const receiver = await server.technician(["lens", "private", "pin"]);
    const noLens = await server.technician(["private", "pin"]);
    const { id, customer } = await activeSession(lead);
    const transfer = (who: Account, to: string, sessionId = id) => server.api("POST", `/api/v1/sessions/${sessionId}/transfer`, { token: who.token, body: { to } });

    const external = await transfer(lead, "outsider@example.test");
    expect(external.status).toBe(403);
    expect(external.body.error.message).toMatch(/cannot be transferred to external technicians/);
    const offline = await transfer(lead, receiver.email);
    expect(offline.status).toBe(409);
    expect(offline.body.error.message).toMatch(/not online/);
    expect((await transfer(noTransfer, receiver.email, (await activeSession(noTransfer)).id)).status).toBe(403);
    const noLensWs = await openTechnicianWs(server, noLens.token);
    keep(noLensWs);
    expect((await transfer(lead, noLens.email)).body.error.message).toMatch(/missing: lens/);

    // The receiver already holds a Lens session: the one-active-Lens rule refuses.
    const receiverWs = await openTechnicianWs(server, receiver.token);
    keep(receiverWs);
    const busy = await activeSession(receiver);
    expect((await transfer(lead, receiver.email)).body.error.message).toMatch(/already holds .* Lens slot/);
    await server.api("POST", `/api/v1/sessions/${busy.id}/end`, { token: receiver.token });

    const moved = await transfer(lead, receiver.email);
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ technician: receiver.email, status: "active" });
    expect(await customer.next("peer")).toEqual({ type: "peer", peer: "lead", event: "joined" });
    const list = await server.api("GET", "/api/v1/sessions?status=active", { token: receiver.token });
    expect(list.body.map((s: Session) => s.id)).toContain(id);
    expect((await server.api("GET", `/api/v1/sessions/${id}`, { token: lead.token })).status).toBe(404);
    const log = (await server.api("GET", `/api/v1/sessions/${id}/log`, { token: receiver.token })).body;
    const entry = log.find((e: SessionLogEntry) => e.event === "transferred");
    expect(entry).toMatchObject({ by: lead.email, from: lead.email, to: receiver.email, heldFrom: expect.any(String), heldUntil: expect.any(String) });
  });
});

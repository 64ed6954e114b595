import { describe, expect, it } from "vitest";
import { InviteResponse, JoinResponse, SessionLogEntry, WS_CLOSE, type Permission } from "../../src/protocol/index.js";
import { openSqliteStore } from "../../src/server/store/sqlite.js";
import { customerReady, openTechnicianWs, serverPerFile, type Account, type TestServer, type WsProbe } from "../helpers/server.js";

const LEAD: Permission[] = ["lens", "private", "pin", "sms", "link", "chat", "record", "invite-external", "invite-unlisted"];
const PHONE = "+14155552671";

/** Hostile collaborators on the real server: what they may read and what they may write into the log. */
describe("collaborators get least privilege", () => {
  let server: TestServer;
  const keep = serverPerFile((s) => (server = s));

  const log = async (token: string, id: string) => {
    const res = await server.api("GET", `/api/v1/sessions/${id}/log`, { token });
    expect(res.status).toBe(200);
    return res.body as Record<string, unknown>[];
  };

  /** An active Lens session by SMS whose lead's daemon reported a recording, and a customer who chatted. */
  async function scene(lead: Account) {
    const created = await server.api("POST", "/api/v1/sessions", { token: lead.token, body: { type: "lens", method: "sms", to: PHONE } });
    expect(created.status).toBe(201);
    const customerPin: string = created.body.pin;
    const customer = keep(await customerReady(server, customerPin));
    expect((await server.api("POST", `/api/v1/sessions/${created.body.id}/start`, { token: lead.token })).status).toBe(200);
    const daemon = keep(await openTechnicianWs(server, lead.token));
    await daemon.next("sessions");
    daemon.send({ type: "media", sessionId: created.body.id, event: "recording-started", detail: { path: "/home/lead/rec/secret.webm" } });
    daemon.send({ type: "media", sessionId: created.body.id, event: "recording-error", detail: { message: "ENOSPC: no space left on device, write '/home/lead/rec/secret.webm'" } });
    customer.send({ type: "chat", text: "my password is hunter2" });
    await customer.next("chat");
    return { id: created.body.id as string, customerPin, daemon };
  }

  const invite = async (lead: Account, id: string, permissions: string[]) => {
    const res = await server.api("POST", `/api/v1/sessions/${id}/invitations`, { token: lead.token, body: { kind: "external", via: "pin", permissions } });
    expect(res.status).toBe(201);
    return InviteResponse.parse(res.body);
  };
  const join = async (pin: string) => JoinResponse.parse((await server.api("POST", "/api/v1/invitations/join", { body: { pin } })).body);

  it("a view-only collaborator cannot read PINs, the customer's address and contact, paths or chat, so cannot join again with more", async () => {
    const lead = await server.technician(LEAD);
    const { id, customerPin } = await scene(lead);
    const viewer = await join((await invite(lead, id, ["view"])).pin!);
    const strong = await invite(lead, id, ["view", "chat", "talk", "record"]);

    const seen = await log(viewer.token!, id);
    const text = JSON.stringify(seen);
    for (const secret of [strong.pin!, customerPin, "127.0.0.1", PHONE, "secret.webm", "hunter2"]) expect(text).not.toContain(secret);
    expect(seen.map((e) => e.event)).toEqual(expect.arrayContaining(["created", "customer-connected", "recording-started", "recording-error", "invited", "joined"]));
    const session = await server.api("GET", `/api/v1/sessions/${id}`, { token: viewer.token });
    expect(JSON.stringify(session.body)).not.toContain(PHONE);
    expect(session.body.delivery).toBeUndefined();

    // The lead keeps what is theirs: the customer's PIN and address, their own recording path;
    // an invitation's PIN was shown once, in the invite answer, and is not in the log.
    const leads = JSON.stringify(await log(lead.token, id));
    for (const own of [customerPin, "127.0.0.1", PHONE, "secret.webm", "hunter2"]) expect(leads).toContain(own);
    expect(leads).not.toContain(strong.pin!);
  });

  it("a collaborator writes no log entry as someone else, no unknown event, and no media event beyond its permissions", async () => {
    const lead = await server.technician(LEAD);
    const { id } = await scene(lead);
    const viewer = await join((await invite(lead, id, ["view"])).pin!);
    const chatter = await join((await invite(lead, id, ["chat"])).pin!);

    const forger = keep(await openTechnicianWs(server, viewer.token!));
    await forger.next("sessions");
    forger.send({ type: "media", sessionId: id, event: "media-lost", detail: { event: "closed", by: lead.email, at: "2000-01-01T00:00:00.000Z", status: "closed" } });
    expect((await forger.closed).code).toBe(WS_CLOSE.badMessage);
    const bogus = keep(await openTechnicianWs(server, viewer.token!));
    await bogus.next("sessions");
    bogus.send({ type: "media", sessionId: id, event: "bogus" });
    expect((await bogus.closed).code).toBe(WS_CLOSE.badMessage);

    // Events about media they were not given: a chat-only collaborator has no picture, a viewer does not record.
    const blind = keep(await openTechnicianWs(server, chatter.token!));
    await blind.next("sessions");
    blind.send({ type: "media", sessionId: id, event: "media-lost", detail: { reason: "ice failed" } });
    expect(await blind.next("error")).toMatchObject({ code: "forbidden" });
    const viewerWs = keep(await openTechnicianWs(server, viewer.token!));
    await viewerWs.next("sessions");
    viewerWs.send({ type: "media", sessionId: id, event: "recording-stopped", detail: { path: "/tmp/x.webm", bytes: 1 } });
    expect(await viewerWs.next("error")).toMatchObject({ code: "forbidden" });
    // Keeping the customer's media on disk is recording: a viewer may not report a still or saved voice either.
    viewerWs.send({ type: "media", sessionId: id, event: "snapshot", detail: { width: 640, height: 480 } });
    expect(await viewerWs.next("error")).toMatchObject({ code: "forbidden" });
    viewerWs.send({ type: "media", sessionId: id, event: "voice-saved" });
    expect(await viewerWs.next("error")).toMatchObject({ code: "forbidden" });
    viewerWs.send({ type: "media", sessionId: id, event: "media-lost", detail: { reason: "ice failed" } });

    await expect.poll(async () => (await log(lead.token, id)).filter((e) => e.event === "media-lost")).toHaveLength(1);
    const entries = await log(lead.token, id);
    expect(entries.find((e) => e.event === "media-lost")).toMatchObject({ by: viewer.as, reason: "ice failed" });
    expect(entries.some((e) => e.event === "closed" || e.at === "2000-01-01T00:00:00.000Z")).toBe(false);
    expect(entries.filter((e) => e.event === "recording-stopped" || e.event === "snapshot" || e.event === "voice-saved")).toHaveLength(0);
    for (const e of entries) expect(SessionLogEntry.safeParse(e).success).toBe(true);
  });

  it("a malformed entry already stored does not make the log unreadable", async () => {
    const lead = await server.technician(LEAD);
    const { id } = await scene(lead);
    const store = openSqliteStore(server.dataDir);
    try {
      await store.sessionLog.append(id, { at: "2000-01-01T00:00:00.000Z", event: "bogus" } as unknown as SessionLogEntry);
    } finally {
      store.close();
    }
    const entries = await log(lead.token, id);
    expect(entries.map((e) => e.event)).toEqual(expect.arrayContaining(["created", "started"]));
    expect(entries.some((e) => e.event === "bogus")).toBe(false);
  });
});

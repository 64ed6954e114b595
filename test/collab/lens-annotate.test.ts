import { describe, expect, it } from "vitest";
import { InviteResponse, JoinResponse, type Permission } from "../../src/protocol/index.js";
import { customerReady, openTechnicianWs, serverPerFile, type Account, type TestServer, type WsProbe } from "../helpers/server.js";

const LEAD: Permission[] = ["lens", "private", "pin", "chat", "record", "invite-external", "invite-unlisted"];
const ARROW = { action: "draw", shape: { kind: "arrow", x: 0.1, y: 0.9, x2: 0.5, y2: 0.5 }, color: "yellow" };

/** Who may draw on the customer's picture: the server decides, the lead's daemon only delivers. */
describe("Lens tools are allowed by the server", () => {
  let server: TestServer;
  const keep = serverPerFile((s) => (server = s));

  /** An active Lens session with its customer, the lead's daemon connection, and a collaborator with `permissions`. */
  async function scene(permissions: string[]) {
    const lead: Account = await server.technician(LEAD);
    const created = await server.api("POST", "/api/v1/sessions", { token: lead.token, body: { type: "lens", method: "pin" } });
    expect(created.status).toBe(201);
    const id: string = created.body.id;
    keep(await customerReady(server, created.body.pin));
    expect((await server.api("POST", `/api/v1/sessions/${id}/start`, { token: lead.token })).status).toBe(200);
    const daemon = keep(await openTechnicianWs(server, lead.token));
    await daemon.next("sessions");
    const invited = await server.api("POST", `/api/v1/sessions/${id}/invitations`, { token: lead.token, body: { kind: "external", via: "pin", permissions } });
    expect(invited.status).toBe(201);
    const joined = JoinResponse.parse((await server.api("POST", "/api/v1/invitations/join", { body: { pin: InviteResponse.parse(invited.body).pin } })).body);
    return { lead, id, daemon, collaborator: joined };
  }
  const logOf = async (token: string, id: string) => (await server.api("GET", `/api/v1/sessions/${id}/log`, { token })).body as Record<string, unknown>[];

  it("attack: a collaborator without annotate draws, erases and freezes: refused, nothing reaches the lead's daemon or the log", async () => {
    const { lead, id, daemon, collaborator } = await scene(["view", "chat", "talk"]);
    for (const body of [ARROW, { action: "erase", all: true }, { action: "freeze" }, { action: "torch", on: true }]) {
      const res = await server.api("POST", `/api/v1/sessions/${id}/lens`, { token: collaborator.token, body });
      expect(res.status, JSON.stringify(res.body)).toBe(403);
      expect(res.body.error.code).toBe("forbidden");
      expect(res.body.error.message).toContain("annotate");
    }
    // The lead's daemon got no Lens message to deliver; the log has no annotation.
    await expect(daemon.next("lens", 500)).rejects.toThrow();
    expect((await logOf(lead.token, id)).filter((e) => e.event === "annotation" || e.event === "freeze")).toEqual([]);

    // A technician outside the session does not even learn that it exists.
    const stranger = await server.technician(LEAD);
    const res = await server.api("POST", `/api/v1/sessions/${id}/lens`, { token: stranger.token, body: ARROW });
    expect(res.status).toBe(404);
    await expect(daemon.next("lens", 300)).rejects.toThrow();
  });

  it("attack: malformed commands are refused at the edge (coordinates off the frame, CSS as a colour, extra fields, control characters)", async () => {
    const { lead, id, daemon } = await scene(["view", "annotate"]);
    const bad = [
      { action: "draw", shape: { kind: "arrow", x: 0.1, y: 0.9, x2: 1.5, y2: 0.5 }, color: "red" },
      { action: "draw", shape: { kind: "circle", x: 0.5, y: 0.5, r: 0.1 }, color: "url(javascript:alert(1))" },
      { action: "draw", shape: { kind: "pointer", x: 0.5, y: 0.5, onload: "x" }, color: "red" },
      { action: "draw", shape: { kind: "text", x: 0.5, y: 0.5, text: "a\u001b[2Jb" }, color: "red" },
      { action: "draw", shape: { kind: "line", points: [{ x: 0.1, y: 0.1 }] }, color: "red" },
      { action: "zoom", level: Number.MAX_VALUE },
      { action: "explode" },
    ];
    for (const body of bad) {
      const res = await server.api("POST", `/api/v1/sessions/${id}/lens`, { token: lead.token, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    await expect(daemon.next("lens", 300)).rejects.toThrow();
  });

  it("a collaborator with annotate draws through the lead's daemon; camera requests stay the lead's", async () => {
    const { lead, id, daemon, collaborator } = await scene(["view", "annotate"]);
    const drawing = server.api("POST", `/api/v1/sessions/${id}/lens`, { token: collaborator.token, body: ARROW });
    const relayed = await daemon.next("lens");
    expect(relayed).toEqual({ type: "lens", sessionId: id, action: ARROW, by: collaborator.as, ref: expect.any(String) });
    // The lead's daemon confirms; only then does the collaborator get the answer.
    daemon.send({ type: "lens-result", sessionId: id, ref: relayed.ref, result: { delivered: true } });
    const drawn = await drawing;
    expect(drawn.status, JSON.stringify(drawn.body)).toBe(200);
    expect(drawn.body).toEqual({ sessionId: id, delivery: "relayed" });

    const zoom = await server.api("POST", `/api/v1/sessions/${id}/lens`, { token: collaborator.token, body: { action: "zoom", level: 2 } });
    expect(zoom.status).toBe(403);
    expect(zoom.body.error.message).toContain("lead");

    // The lead's own actions are delivered by the lead's daemon: nothing is relayed back to it.
    const own = await server.api("POST", `/api/v1/sessions/${id}/lens`, { token: lead.token, body: { action: "zoom", level: 2 } });
    expect(own.body).toEqual({ sessionId: id, delivery: "lead" });
    await expect(daemon.next("lens", 300)).rejects.toThrow();

    const log = await logOf(lead.token, id);
    expect(log.find((e) => e.event === "annotation")).toMatchObject({ by: collaborator.as, action: "draw", shape: ARROW.shape, color: "yellow" });
    expect(log.find((e) => e.event === "camera")).toMatchObject({ by: lead.email, action: "zoom", level: 2 });
  });

  it("Lens tools need a running Lens session", async () => {
    const lead: Account = await server.technician(LEAD);
    const created = await server.api("POST", "/api/v1/sessions", { token: lead.token, body: { type: "lens", method: "pin" } });
    const res = await server.api("POST", `/api/v1/sessions/${created.body.id}/lens`, { token: lead.token, body: ARROW });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toContain("connecting");
  });
});

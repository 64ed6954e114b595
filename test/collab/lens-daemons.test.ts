import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simulateCustomer, type SimulateCustomerResult } from "../../src/customer/run.js";
import { LensResult, type Permission } from "../../src/protocol/index.js";
import { cliLogin, dropHome, makeHome, rescue } from "../helpers/cli.js";
import { startTestServer, type Account, type TestServer } from "../helpers/server.js";

const LEAD: Permission[] = ["lens", "private", "pin", "link", "chat", "record", "invite-internal", "invite-external", "invite-unlisted"];

/**
 * Lens tools across real daemons and a simulated customer (werift on both ends of the data
 * channel): the lead's own, an allowed collaborator's relayed through the lead's daemon, and a
 * collaborator without `annotate` refused; the customer counts what reached it.
 */
describe("Lens tools with real daemons", () => {
  let server: TestServer;
  let lead: Account;
  let internal: Account;
  const homes = { lead: "", internal: "", external: "" };
  let customer: Promise<SimulateCustomerResult> | undefined;
  const leaving = new AbortController();

  beforeAll(async () => {
    server = await startTestServer();
    lead = await server.technician(LEAD);
    internal = await server.technician(["lens", "private", "pin", "chat"]);
    homes.lead = makeHome();
    homes.internal = makeHome();
    homes.external = makeHome();
    await cliLogin(homes.lead, server.url, lead.email, lead.password);
    await cliLogin(homes.internal, server.url, internal.email, internal.password);
  });
  afterAll(async () => {
    leaving.abort();
    await customer?.catch(() => undefined);
    for (const h of Object.values(homes)) if (h) await dropHome(h);
    await server.close();
  });

  it("the lead draws and asks for zoom, an annotating collaborator draws through the lead, one without annotate is refused", async () => {
    const created = await rescue(homes.lead, ["session", "new", "--lens", "--pin", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    const { id, pin } = created.json();
    customer = simulateCustomer({ server: server.url, pin, acceptEula: true, durationSec: 60, signal: leaving.signal });
    expect((await rescue(homes.lead, ["session", "wait", id, "--status", "waiting", "--timeout", "15"])).code).toBe(0);
    const started = await rescue(homes.lead, ["session", "start", id, "--no-record", "--json"]);
    expect(started.code, started.stderr).toBe(0);

    // The data channel opens with the media connection: the first draw may come before it.
    let drawn = await rescue(homes.lead, ["lens", "draw", id, "--arrow", "0.5,0.5", "--json"]);
    for (let i = 0; i < 50 && drawn.code !== 0; i++) {
      await new Promise((r) => setTimeout(r, 200));
      drawn = await rescue(homes.lead, ["lens", "draw", id, "--arrow", "0.5,0.5", "--json"]);
    }
    expect(drawn.code, drawn.stderr).toBe(0);
    expect(LensResult.parse(drawn.json())).toEqual({ sessionId: id, action: "draw", delivery: "lead" });

    const zoom = await rescue(homes.lead, ["lens", "zoom", id, "2", "--json"]);
    expect(zoom.code).toBe(1);
    expect(zoom.json()).toMatchObject({ action: "zoom", applied: false, reason: "unsupported: a simulated camera" });

    const ext = await rescue(homes.lead, ["invite", "--session", id, "--external", "--link", "--permission", "view,annotate", "--json"]);
    expect(ext.code, ext.stderr).toBe(0);
    expect((await rescue(homes.external, ["join", "--link", ext.json().link, "--json"])).code).toBe(0);
    const inv = await rescue(homes.lead, ["invite", "--session", id, "--internal", internal.email, "--permission", "view,chat", "--json"]);
    expect(inv.code, inv.stderr).toBe(0);
    expect((await rescue(homes.internal, ["join", "--pin", inv.json().pin, "--json"])).code).toBe(0);

    const relayed = await rescue(homes.external, ["lens", "draw", id, "--circle", "0.4,0.4,0.1", "--color", "green", "--json"]);
    expect(relayed.code, relayed.stderr).toBe(0);
    // Answered after the lead's daemon delivered it to the page.
    expect(relayed.json()).toEqual({ sessionId: id, action: "draw", delivery: "relayed" });
    const said = await rescue(homes.external, ["lens", "erase", id]);
    expect(said.code, said.stderr).toBe(0);
    expect(said.stderr).toContain("delivered through the lead technician's connection");

    // The attack: a collaborator without annotate, through their own daemon.
    const refused = await rescue(homes.internal, ["lens", "draw", id, "--arrow", "0.1,0.1,0.9,0.9", "--json"]);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toContain("annotate");
    expect((await rescue(homes.internal, ["lens", "erase", id, "--all"])).code).toBe(5);
    // Camera requests stay the lead's even for an annotating collaborator.
    expect((await rescue(homes.external, ["lens", "torch", id, "on"])).code).toBe(5);

    // The lead's daemon noted each action it delivered on its event stream (the relayed one included).
    const log = (await rescue(homes.lead, ["session", "log", id, "--json"])).json<{ event: string; by?: string; action?: string }[]>();
    expect(log.filter((e) => e.event === "annotation").map((e) => e.action)).toEqual(["draw", "draw", "erase"]);
    expect(log.find((e) => e.event === "camera")).toMatchObject({ action: "zoom", by: lead.email });

    // The relayed answer came once the lead's daemon had sent the circle on to the page: no pause
    // is needed before the session ends for the customer to have it.
    // With the lead's daemon gone, the collaborator is told so at once, and nothing is logged.
    expect((await rescue(homes.lead, ["daemon", "stop"])).code).toBe(0);
    const orphan = await rescue(homes.external, ["lens", "draw", id, "--pointer", "0.2,0.2"]);
    expect(orphan.code).toBe(5);
    expect(orphan.stderr).toContain("no daemon connected");
    // Ended through the server: a new daemon of the lead would first adopt the session's media.
    expect((await server.api("POST", `/api/v1/sessions/${id}/end`, { token: lead.token })).status).toBe(200);
    const result = await customer;
    // Exactly the arrow, the zoom request, the relayed circle and erase: nothing refused got through.
    expect(result.receivedLensCommands).toBe(4);
    const after = (await server.api("GET", `/api/v1/sessions/${id}/log`, { token: lead.token })).body as { event: string }[];
    expect(after.filter((e) => e.event === "annotation")).toHaveLength(3);
  }, 120_000);
});

import { describe, expect, it } from "vitest";
import { CustomerConnection } from "../../src/customer/connection.js";
import { Session, WS_CLOSE, retryAfterOfClose, type Permission } from "../../src/protocol/index.js";
import { DEFAULT_LIMITS } from "../../src/server/limits/config.js";
import { TcpProxy } from "../helpers/proxy.js";
import { customerReady, openCustomerWs, serverPerTest, type TestServer, type WsProbe } from "../helpers/server.js";

// A customer's resumes have a budget per session (limits.resume), spent only with the right
// credential: a holder of it reconnecting in a loop is refused (rateLimited, "retry in N s") rather
// than writing two log rows and two pushes per round trip.

const each = serverPerTest();
let server: TestServer | undefined;

const LENS: Permission[] = ["lens", "private", "pin", "chat"];
type LogEntry = { event: string; [k: string]: unknown };
const logOf = async (token: string, id: string) => (await server!.api<LogEntry[]>("GET", `/api/v1/sessions/${id}/log`, { token })).body;
const comings = (log: LogEntry[]) => log.filter((e) => e.event === "customer-disconnected" || e.event === "customer-reconnected").length;

async function liveSession(opts: Parameters<typeof each.start>[0] = {}) {
  server = await each.start(opts);
  const tech = await server.technician(LENS);
  const s = Session.parse((await server.api("POST", "/api/v1/sessions", { token: tech.token, body: { method: "pin", name: "Jane" } })).body);
  const c = each.keep(await customerReady(server, s.pin!));
  return { tech, s, c: c as WsProbe & { joined: any } };
}

/** One resume on a new socket: the new credential when it was taken, else how the server closed the socket. */
async function resumeOnce(sessionId: string, token: string, extra: Record<string, unknown> = {}): Promise<{ ws: WsProbe; token?: string; closed?: { code: number; reason: string } }> {
  const ws = each.keep(await openCustomerWs(server!));
  ws.send({ type: "resume", sessionId, token, ...extra });
  const answer = await Promise.race([ws.next("joined", 30_000).then((j) => ({ token: j.resume.token as string })), ws.closed.then((closed) => ({ closed }))]);
  return { ws, ...answer };
}

describe("the customer's resume budget", () => {
  it("the attack: a holder of the credential reconnecting in a loop is refused past the budget, and the log is not buried", async () => {
    const { tech, s, c } = await liveSession();
    const before = comings(await logOf(tech.token, s.id));
    let token = c.joined.resume.token as string;
    const started = Date.now();
    let accepted = 0;
    const refusals: { code: number; reason: string }[] = [];
    for (let i = 0; i < 60; i++) {
      const r = await resumeOnce(s.id, token, { awayMs: 86_400_000 });
      if (r.token) {
        accepted++;
        token = r.token;
        await r.ws.close();
      } else refusals.push(r.closed!);
    }
    const { burst, windowMs } = DEFAULT_LIMITS.resume;
    const allowed = burst + Math.ceil(((Date.now() - started) * burst) / windowMs);
    expect(accepted).toBeGreaterThanOrEqual(burst);
    expect(accepted).toBeLessThanOrEqual(allowed);
    expect(refusals).toHaveLength(60 - accepted);
    for (const r of refusals) {
      expect(r.code).toBe(WS_CLOSE.rateLimited);
      expect(r.reason).toMatch(/^too many reconnects; retry in \d+ s$/);
      expect(retryAfterOfClose(r.code, r.reason)).toBeGreaterThan(0);
    }
    // The closes are handled after the answers: give them a moment, then count.
    await new Promise((r) => setTimeout(r, 500));
    const rows = comings(await logOf(tech.token, s.id)) - before;
    expect(rows).toBeLessThanOrEqual(2 * accepted + 1);
    // The credential a refusal left in place still opens the session once the budget refilled.
    const seconds = retryAfterOfClose(refusals.at(-1)!.code, refusals.at(-1)!.reason)!;
    expect(seconds).toBeLessThanOrEqual(Math.ceil(windowMs / burst / 1000));
  });

  it("a guesser with a wrong credential spends nothing: the customer's own resumes still all work", async () => {
    const { s, c } = await liveSession({ limits: { resume: { burst: 3, windowMs: 60 * 60_000 } } });
    for (let i = 0; i < 20; i++) expect((await resumeOnce(s.id, "G".repeat(43))).closed?.code).toBe(WS_CLOSE.invalidPin);
    let token = c.joined.resume.token as string;
    for (let i = 0; i < 3; i++) {
      const r = await resumeOnce(s.id, token);
      expect(r.token, `resume ${i + 1}`).toBeDefined();
      token = r.token!;
    }
  });

  it("a real customer's reconnects (reloads, network switches, several in a minute) all work within the default budget", async () => {
    const { tech, s, c } = await liveSession();
    let token = c.joined.resume.token as string;
    let current: WsProbe = c;
    for (let i = 0; i < 6; i++) {
      // Even: the old socket dropped first (a reload); odd: the new one overtakes it (a network switch).
      if (i % 2 === 0) current.ws.terminate();
      const r = await resumeOnce(s.id, token, { awayMs: 1_000 });
      expect(r.token, `reconnect ${i + 1}`).toBeDefined();
      token = r.token!;
      current = r.ws;
    }
    expect((await logOf(tech.token, s.id)).filter((e) => e.event === "customer-reconnected")).toHaveLength(6);
  });

  it("the simulator waits out a refusal and comes back within the grace period", async () => {
    server = await each.start({ limits: { resume: { burst: 2, windowMs: 6_000 } } });
    const tech = await server.technician(LENS);
    const s = Session.parse((await server.api("POST", "/api/v1/sessions", { token: tech.token, body: { method: "pin", name: "Jane" } })).body);
    const proxy = new TcpProxy(Number(new URL(server.url).port));
    await proxy.open();
    const customer = await CustomerConnection.join(proxy.url, s.pin!, "Jane");
    try {
      customer.grantDevices();
      customer.answerEula(true);
      expect(await customer.waitForStatus(["waiting"], 10_000)).toBe("waiting");
      const closed: unknown[] = [];
      customer.on("closed", (c) => closed.push(c));
      const refusedAttempts: number[] = [];
      customer.on("reconnecting", ({ attempt }) => attempt > 1 && refusedAttempts.push(attempt));
      // Three drops in a row: the third resume finds the budget of two spent and is told to wait.
      for (let i = 0; i < 3; i++) {
        const back = new Promise<void>((resolve) => customer.once("reconnected", resolve));
        await proxy.cut();
        await proxy.open();
        await back;
      }
      expect(closed).toEqual([]);
      expect(refusedAttempts.length).toBeGreaterThan(0);
      const log = await logOf(tech.token, s.id);
      expect(log.filter((e) => e.event === "customer-reconnected")).toHaveLength(3);
      expect((await server.api("GET", `/api/v1/sessions/${s.id}`, { token: tech.token })).body.customer?.away ?? null).toBeNull();
    } finally {
      customer.leave();
      await proxy.cut();
    }
  }, 60_000);
});

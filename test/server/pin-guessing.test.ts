import { describe, expect, it } from "vitest";
import { ErrorBody, Session, WS_CLOSE, type Permission } from "../../src/protocol/index.js";
import { openCustomerWs, openTechnicianWs, serverPerTest, type TestServer } from "../helpers/server.js";

const each = serverPerTest();
let server: TestServer | undefined;

const LENS: Permission[] = ["lens", "private", "pin", "invite-external"];
const newSession = async (token: string) => Session.parse((await server!.api("POST", "/api/v1/sessions", { token, body: { method: "pin" } })).body);
const wrongPin = (pin: string | null, i: number) => String((Number(pin) + i + 1) % 1_000_000).padStart(6, "0");

/** Joins the customer socket from `address` with `pin`: "joined", or the close code. */
async function join(address: string, pin: string): Promise<"joined" | number> {
  const c = await openCustomerWs(server!, { localAddress: address });
  each.keep(c);
  c.send({ type: "join", pin });
  const first = await Promise.race([c.next("joined", 30_000).then(() => "joined" as const), c.closed.then((x) => x.code)]);
  return first;
}

describe("PIN guessing", () => {
  it("ten addresses with five wrong PINs each do not lock out a real customer: a live PIN still joins", async () => {
    // Each address may try five, and all of them together only ten before wrong PINs are slowed.
    server = await each.start({
      limits: { pins: { perSource: { burst: 5, windowMs: 60_000 }, global: { burst: 10, windowMs: 60_000 }, slowdownMs: 100 } },
    });
    const tech = await server.technician(LENS);
    const s = await newSession(tech.token);
    const answers: (string | number)[] = [];
    for (let a = 2; a < 12; a++) {
      for (let i = 0; i < 5; i++) answers.push(await join(`127.0.0.${a}`, wrongPin(s.pin, a * 5 + i)));
    }
    // Every wrong PIN was told it is wrong; none was told to wait (their own budgets held) ...
    expect(new Set(answers)).toEqual(new Set([WS_CLOSE.invalidPin]));
    // ... each attacking address is now spent ...
    expect(await join("127.0.0.2", s.pin!)).toBe(WS_CLOSE.rateLimited);
    // ... and the real customer, from their own address, gets in.
    expect(await join("127.0.0.77", s.pin!)).toBe("joined");
  });

  it("wrong PINs count once for every route that takes one: customer socket and invitation join share the budget", async () => {
    server = await each.start({ limits: { pins: { perSource: { burst: 3, windowMs: 60_000 } } } });
    const tech = await server.technician(LENS);
    const s = await newSession(tech.token);
    const attacker = "127.0.0.9";
    expect(await join(attacker, wrongPin(s.pin, 0))).toBe(WS_CLOSE.invalidPin);
    expect(await join(attacker, wrongPin(s.pin, 1))).toBe(WS_CLOSE.invalidPin);
    const joinInvitation = (pin: string) => server!.api("POST", "/api/v1/invitations/join", { body: { pin }, from: attacker });
    expect((await joinInvitation(wrongPin(s.pin, 2))).status).toBe(404);
    const spent = await joinInvitation(wrongPin(s.pin, 3));
    expect(spent.status).toBe(429);
    expect(ErrorBody.parse(spent.body).error.code).toBe("rate_limited");
    expect(await join(attacker, s.pin!)).toBe(WS_CLOSE.rateLimited);
    // Pages do not look PINs up, so they neither spend nor are refused by the budget.
    expect((await fetch(`${server.url}/m/${wrongPin(s.pin, 4)}`)).status).toBe(200);
    expect(await join("127.0.0.10", s.pin!)).toBe("joined");
  });

  it("parallel guesses from one source cannot overdraw its budget, on the socket or at login", async () => {
    server = await each.start({
      limits: { pins: { perSource: { burst: 5, windowMs: 60_000 } }, login: { perAccountSource: { burst: 3, windowMs: 60_000 } } },
    });
    const tech = await server.technician(LENS);
    const s = await newSession(tech.token);
    const sockets = await Promise.all(Array.from({ length: 40 }, () => openCustomerWs(server!, { localAddress: "127.0.0.20" }).then(each.keep)));
    for (const [i, c] of sockets.entries()) c.send({ type: "join", pin: wrongPin(s.pin, i) });
    const codes = await Promise.all(sockets.map(async (c) => (await c.closed).code));
    expect(codes.filter((c) => c === WS_CLOSE.invalidPin)).toHaveLength(5);
    expect(codes.filter((c) => c === WS_CLOSE.rateLimited)).toHaveLength(35);

    const logins = await Promise.all(
      Array.from({ length: 30 }, () => server!.api("POST", "/api/v1/auth/login", { body: { email: tech.email, password: "nope" }, from: "127.0.0.21" })),
    );
    expect(logins.filter((r) => r.status === 401)).toHaveLength(3);
    expect(logins.filter((r) => r.status === 429)).toHaveLength(27);
  });

  it("a spent source is refused its live PIN exactly as a miss, and the session's technician is told (once a minute)", async () => {
    server = await each.start({ limits: { pins: { perSource: { burst: 3, windowMs: 60 * 60_000 } } } });
    const tech = await server.technician(LENS);
    const s = await newSession(tech.token);
    const t = each.keep(await openTechnicianWs(server, tech.token));
    await t.next("sessions");
    const guesser = "127.0.0.40";
    for (let i = 0; i < 3; i++) expect(await join(guesser, wrongPin(s.pin, i))).toBe(WS_CLOSE.invalidPin);

    /** What the source sees of one attempt: every message before the close, and the close. */
    const attempt = async (pin: string) => {
      const c = each.keep(await openCustomerWs(server!, { localAddress: guesser }));
      const seen: unknown[] = [];
      c.ws.on("message", (m) => seen.push(String(m)));
      c.send({ type: "join", pin });
      const closed = await c.closed;
      return { seen, closed };
    };
    const miss = await attempt(wrongPin(s.pin, 3));
    const hit = await attempt(s.pin!);
    expect(miss.closed.code).toBe(WS_CLOSE.rateLimited);
    expect(hit).toEqual(miss);
    expect(hit.closed.reason).toMatch(/from your network: connect from another network .* or call your technician/);
    expect(hit.closed.reason).not.toMatch(/try again in/);

    // The PIN was not used: the session still waits for its customer with the same PIN.
    expect(Session.parse((await server.api("GET", `/api/v1/sessions/${s.id}`, { token: tech.token })).body)).toMatchObject({ status: "connecting", pin: s.pin });
    // Its technician is told, by a push and in the log, with the refused source.
    expect(await t.next("customer-media", 10_000)).toEqual({ type: "customer-media", sessionId: s.id, event: "pin-refused-network" });
    const refused = async () =>
      ((await server!.api("GET", `/api/v1/sessions/${s.id}/log`, { token: tech.token })).body as { event: string; address?: string }[]).filter(
        (e) => e.event === "pin-refused-network",
      );
    await expect.poll(refused).toHaveLength(1);
    expect((await refused())[0]).toMatchObject({ address: guesser });

    // Again within the minute: the same answer, and no second notice.
    expect(await attempt(s.pin!)).toEqual(miss);
    await new Promise((r) => setTimeout(r, 500));
    expect(await refused()).toHaveLength(1);
    await expect(t.next("customer-media", 500)).rejects.toThrow(/no customer-media/);
    // The real customer from another network still joins.
    expect(await join("127.0.0.41", s.pin!)).toBe("joined");
  });
});

import { fetch as undiciFetch } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { Session, SessionLogEntry, type Permission } from "../../src/protocol/index.js";
import { twilioSignature, twilioSms } from "../../src/server/delivery/twilio.js";
import { REPORTS_PER_SESSION } from "../../src/server/routes/delivery.js";
import { fromAddress, openTechnicianWs, startTestServer, type TestServer, type WsProbe } from "../helpers/server.js";
import { UNDELIVERED_30003, startFakeTwilio, type FakeTwilio } from "../helpers/twilio.js";

const SID = "AC0123456789abcdef0123456789abcdef";
const TOKEN = "twilio-auth-token-secret";
const FROM = "+15005550006";
const PUBLIC = "https://rescue.example.test";
const PERMS: Permission[] = ["lens", "private", "sms", "email"];

let server: TestServer | undefined;
let twilio: FakeTwilio | undefined;
const sockets: WsProbe[] = [];
afterEach(async () => {
  await Promise.all(sockets.splice(0).map((s) => s.close()));
  await twilio?.settled();
  await server?.close();
  await twilio?.close();
  server = twilio = undefined;
});

/** A server behind the public URL PUBLIC with Twilio configured; the fake reaches it as a proxy would. */
async function withTwilio(): Promise<{ token: string }> {
  twilio = await startFakeTwilio({ accountSid: SID, authToken: TOKEN }, { reach: (url) => url.replace(PUBLIC, server!.url) });
  server = await startTestServer({ publicUrl: PUBLIC, delivery: { sms: twilioSms({ accountSid: SID, authToken: TOKEN, from: FROM, baseUrl: twilio.baseUrl }) } });
  return server.technician(PERMS);
}

const create = (token: string, body: Record<string, unknown>) => server!.api("POST", "/api/v1/sessions", { token, body });
const sessionOf = async (token: string, id: string) => Session.parse((await server!.api("GET", `/api/v1/sessions/${id}`, { token })).body);
const eventsOf = async (token: string, id: string) =>
  ((await server!.api("GET", `/api/v1/sessions/${id}/log`, { token })).body as unknown[]).map((e) => SessionLogEntry.parse(e));

/** Posts a status report to the server's route for `sessionId`, signed as given (or not at all). */
async function report(sessionId: string, form: Record<string, string>, signature?: string, from?: string): Promise<number> {
  const res = await undiciFetch(`${server!.url}/api/v1/delivery/twilio/${sessionId}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...(signature !== undefined ? { "x-twilio-signature": signature } : {}) },
    body: new URLSearchParams(form).toString(),
    ...(from ? { dispatcher: fromAddress(from) } : {}),
  });
  await res.arrayBuffer();
  return res.status;
}

const publicUrlOf = (sessionId: string) => `${PUBLIC}/api/v1/delivery/twilio/${sessionId}`;
const form = (sid: string, status: string, extra: Record<string, string> = {}) => ({
  AccountSid: SID,
  MessageSid: sid,
  MessageStatus: status,
  To: "+31612345678",
  From: FROM,
  ApiVersion: "2010-04-01",
  ...extra,
});

describe("Twilio's request signature", () => {
  // Twilio's published request-validation example (its security docs and helper libraries' tests).
  const url = "https://mycompany.com/myapp.php?foo=1&bar=2";
  const params = { CallSid: "CA1234567890ABCDE", Caller: "+14158675309", Digits: "1234", From: "+14158675309", To: "+18005551212" };
  it("matches Twilio's published vectors", () => {
    expect(twilioSignature("12345", url, params)).toBe("RSOYDt4T1cUTdK1PDd93/VVr8B8=");
    expect(twilioSignature("12345", url, { Sid: "CA123", SidAccount: "AC123", Digits: ["5678", "1234", "1234"] })).toBe("IK+Dwps556ElfBT0I3Rgjkr1wJU=");
    expect(twilioSignature("12345", `${url}&extra=1`, params)).not.toBe("RSOYDt4T1cUTdK1PDd93/VVr8B8=");
    expect(twilioSignature("12346", url, params)).not.toBe("RSOYDt4T1cUTdK1PDd93/VVr8B8=");
  });
});

describe("Twilio status callbacks", () => {
  it("passes a StatusCallback URL and follows the message to delivered, telling the technician", async () => {
    const tech = await withTwilio();
    const ws = await openTechnicianWs(server!, tech.token);
    sockets.push(ws);
    const s = Session.parse((await create(tech.token, { method: "sms", to: "+31 6 12345678" })).body);
    expect(s.delivery).toEqual({ channel: "sms", to: "+31612345678", status: "sent" });
    expect(twilio!.requests[0]!.form.StatusCallback).toBe(publicUrlOf(s.id));
    await twilio!.settled();
    expect(twilio!.callbacks.map((c) => [c.form.MessageStatus, c.status])).toEqual([
      ["queued", 204],
      ["sent", 204],
      ["delivered", 204],
    ]);

    const after = await sessionOf(tech.token, s.id);
    expect(after.delivery).toEqual({ channel: "sms", to: "+31612345678", status: "delivered", carrierStatus: "delivered", updatedAt: expect.any(String) });
    // The carrier's message id stays on the server.
    expect(JSON.stringify(after)).not.toContain(twilio!.callbacks[0]!.form.MessageSid);
    const log = await eventsOf(tech.token, s.id);
    expect(log.map((e) => e.event)).toEqual(["created", "pin-issued", "sms-sent", "sms-delivered"]);
    expect(log[3]).toMatchObject({ to: "+31612345678", carrierStatus: "delivered" });
    // The technician's socket (the daemon, the console) got the session with the new status.
    for (;;) {
      const msg = await ws.next("session");
      if (msg.session.id === s.id && msg.session.delivery?.status === "delivered") break;
    }
  });

  it("reports an undelivered message as failed with the carrier's code", async () => {
    const tech = await withTwilio();
    twilio!.courseFor("+14155550100", UNDELIVERED_30003);
    const s = Session.parse((await create(tech.token, { method: "sms", to: "+1 415 555 0100" })).body);
    await twilio!.settled();
    expect(twilio!.callbacks.every((c) => c.status === 204)).toBe(true);
    const after = await sessionOf(tech.token, s.id);
    expect(after.delivery).toMatchObject({ status: "failed", code: 30003, carrierStatus: "undelivered" });
    expect(after.delivery!.reason).toBe("the carrier reports the message undelivered: unreachable destination handset (Twilio error 30003)");
    const log = await eventsOf(tech.token, s.id);
    expect(log.map((e) => e.event)).toEqual(["created", "pin-issued", "sms-sent", "sms-failed"]);
    expect(log[3]).toMatchObject({ code: 30003, reason: after.delivery!.reason });
    // The PIN is still there to read out.
    expect(after.pin).toMatch(/^\d{6}$/);
  });

  it("takes a report that arrives before Twilio has answered the send", async () => {
    const tech = await withTwilio();
    twilio!.reportEarly("+31612345678");
    const s = Session.parse((await create(tech.token, { method: "sms", to: "+31612345678" })).body);
    await twilio!.settled();
    expect(twilio!.callbacks.map((c) => c.status)).toEqual([204, 204, 204]);
    expect((await sessionOf(tech.token, s.id)).delivery).toMatchObject({ status: "delivered" });
  });

  it("keeps a final status when Twilio reports out of order", async () => {
    const tech = await withTwilio();
    twilio!.courseFor("+31612345678", [{ MessageStatus: "delivered" }, { MessageStatus: "sent" }, { MessageStatus: "failed", ErrorCode: "30008" }]);
    const s = Session.parse((await create(tech.token, { method: "sms", to: "+31612345678" })).body);
    await twilio!.settled();
    expect((await sessionOf(tech.token, s.id)).delivery).toMatchObject({ status: "delivered", carrierStatus: "delivered" });
    expect((await eventsOf(tech.token, s.id)).filter((e) => e.event.startsWith("sms-")).map((e) => e.event)).toEqual(["sms-sent", "sms-delivered"]);
  });
});

describe("forged status callbacks (the attack)", () => {
  /** Two sessions whose SMS Twilio took but has not reported on yet. */
  async function twoPending(): Promise<{ token: string; a: Session; b: Session; sidA: string; sidB: string }> {
    const tech = await withTwilio();
    twilio!.courseFor("+31612345678", []);
    twilio!.courseFor("+31612345679", []);
    const a = Session.parse((await create(tech.token, { method: "sms", to: "+31612345678" })).body);
    const b = Session.parse((await create(tech.token, { method: "sms", to: "+31612345679" })).body);
    // The fake numbers its messages in order.
    return { token: tech.token, a, b, sidA: `SM${"1".padStart(32, "0")}`, sidB: `SM${"2".padStart(32, "0")}` };
  }

  it("cannot mark a message delivered or failed without Twilio's signature", async () => {
    const { token, a, sidA } = await twoPending();
    const before = await eventsOf(token, a.id);
    const attempts: { form: Record<string, string>; signature?: string }[] = [
      { form: form(sidA, "delivered") },
      { form: form(sidA, "failed", { ErrorCode: "30003" }) },
      { form: form(sidA, "delivered"), signature: "" },
      { form: form(sidA, "delivered"), signature: "not-base64-at-all" },
      // Signed with a guessed token.
      { form: form(sidA, "delivered"), signature: twilioSignature("guessed-token", publicUrlOf(a.id), form(sidA, "delivered")) },
      // Signed over the address the server listens on rather than the public URL Twilio calls.
      { form: form(sidA, "delivered"), signature: twilioSignature(TOKEN, `${server!.url}/api/v1/delivery/twilio/${a.id}`, form(sidA, "delivered")) },
      // A signature made for "sent", with the status changed on the way.
      { form: form(sidA, "failed", { ErrorCode: "30007" }), signature: twilioSignature(TOKEN, publicUrlOf(a.id), form(sidA, "sent")) },
      // A field added after signing.
      { form: { ...form(sidA, "delivered"), ErrorCode: "30003" }, signature: twilioSignature(TOKEN, publicUrlOf(a.id), form(sidA, "delivered")) },
    ];
    for (const { form: f, signature } of attempts) expect(await report(a.id, f, signature), JSON.stringify(f)).toBe(403);
    expect((await sessionOf(token, a.id)).delivery).toEqual({ channel: "sms", to: "+31612345678", status: "sent" });
    expect(await eventsOf(token, a.id)).toEqual(before);
  });

  it("cannot touch another session's delivery, even replaying a genuine report", async () => {
    const { token, a, b, sidA, sidB } = await twoPending();
    // A genuine report for A, as Twilio signed it, replayed to B's URL: the URL is part of the signature.
    const genuine = form(sidA, "undelivered", { ErrorCode: "30003" });
    const signedForA = twilioSignature(TOKEN, publicUrlOf(a.id), genuine);
    expect(await report(b.id, genuine, signedForA)).toBe(403);
    // Even a correctly signed report for B's URL naming A's message changes neither.
    expect(await report(b.id, genuine, twilioSignature(TOKEN, publicUrlOf(b.id), genuine))).toBe(404);
    // Nor does one for a session that does not exist.
    expect(await report("nosuchsession", form(sidB, "delivered"), twilioSignature(TOKEN, publicUrlOf("nosuchsession"), form(sidB, "delivered")))).toBe(404);
    for (const s of [a, b]) expect((await sessionOf(token, s.id)).delivery).toMatchObject({ status: "sent" });

    // The genuine report at its own URL is taken.
    expect(await report(a.id, genuine, signedForA)).toBe(204);
    expect((await sessionOf(token, a.id)).delivery).toMatchObject({ status: "failed", code: 30003 });
    expect((await sessionOf(token, b.id)).delivery).toMatchObject({ status: "sent" });
  });

  it("refuses bad input and bounds the reports per session and per source", async () => {
    const { token, a, b, sidA, sidB } = await twoPending();
    const sign = (f: Record<string, string>) => twilioSignature(TOKEN, publicUrlOf(a.id), f);
    // Signed but malformed: a 400, nothing changed.
    const bad = form("SMnot-a-sid", "delivered");
    expect(await report(a.id, bad, sign(bad))).toBe(400);
    const json = await undiciFetch(`${server!.url}/api/v1/delivery/twilio/${a.id}`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(json.status).toBe(400);
    await json.arrayBuffer();
    const big = await undiciFetch(`${server!.url}/api/v1/delivery/twilio/${a.id}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `Body=${"x".repeat(64 * 1024)}`,
    });
    expect(big.status).toBe(413);
    await big.arrayBuffer();

    // A signed report Twilio would not send that often: the session's budget runs out.
    const sent = form(sidA, "sent");
    const codes: number[] = [];
    for (let i = 0; i < REPORTS_PER_SESSION.burst + 2; i++) codes.push(await report(a.id, sent, sign(sent)));
    // The 400 above counted against the session's budget too (it was signed).
    // (A token may refill meanwhile on a slow machine: one every 30 s.)
    expect(codes.filter((c) => c === 204).length).toBeGreaterThanOrEqual(REPORTS_PER_SESSION.burst - 1);
    expect(codes.filter((c) => c === 204).length).toBeLessThanOrEqual(REPORTS_PER_SESSION.burst);
    expect(codes.at(-1)).toBe(429);
    expect((await sessionOf(token, a.id)).delivery).toMatchObject({ status: "sent", carrierStatus: "sent" });

    // One source flooding forged reports is cut off before any signature is checked.
    let limited = false;
    for (let round = 0; round < 40 && !limited; round++) {
      const batch = await Promise.all(Array.from({ length: 20 }, () => report(a.id, form(sidA, "delivered"), "forged", "127.0.0.7")));
      expect(batch.every((c) => c === 403 || c === 429)).toBe(true);
      limited = batch.includes(429);
    }
    expect(limited).toBe(true);
    // Another source (Twilio's) still gets through, for a session with budget left.
    const delivered = form(sidB, "delivered");
    expect(await report(b.id, delivered, twilioSignature(TOKEN, publicUrlOf(b.id), delivered), "127.0.0.8")).toBe(204);
    expect((await sessionOf(token, b.id)).delivery).toMatchObject({ status: "delivered" });
    expect((await sessionOf(token, a.id)).delivery).toMatchObject({ status: "sent" });
  }, 60_000);

  it("answers malformed reports, signed or not, with a 4xx and never a 5xx", async () => {
    const { token, a } = await twoPending();
    const base = `${server!.url}/api/v1/delivery/twilio`;
    const signedGarbage = (body: string) => {
      const params = Object.fromEntries(new URLSearchParams(body));
      return twilioSignature(TOKEN, publicUrlOf(a.id), params);
    };
    const bodies = ["", "=", "&&&", "MessageSid", "MessageSid=&MessageStatus=", "MessageSid=SM1&MessageStatus=delivered", "a=%ZZ", "MessageStatus=delivered&ErrorCode=abc", "\u0000=\u0000", "x=" + "y".repeat(7000)];
    const statuses: number[] = [];
    for (const b of bodies) {
      for (const signature of [undefined, "forged", signedGarbage(b)]) {
        for (const [path, type] of [
          [a.id, "application/x-www-form-urlencoded"],
          [a.id, "text/plain"],
          [a.id, "application/json"],
          ["%ZZ", "application/x-www-form-urlencoded"],
          ["x".repeat(3000), "application/x-www-form-urlencoded"],
        ] as const) {
          const res = await undiciFetch(`${base}/${path}`, {
            method: "POST",
            headers: { "content-type": type, ...(signature ? { "x-twilio-signature": signature } : {}) },
            body: b,
            dispatcher: fromAddress("127.0.0.5"),
          });
          await res.arrayBuffer();
          statuses.push(res.status);
        }
      }
    }
    expect(statuses.filter((c) => c >= 500)).toEqual([]);
    expect(statuses.every((c) => c >= 400)).toBe(true);
    expect((await sessionOf(token, a.id)).delivery).toEqual({ channel: "sms", to: "+31612345678", status: "sent" });
  }, 60_000);

  it("is not there without a carrier that reports: the outbox stays queued", async () => {
    server = await startTestServer();
    const tech = await server.technician(PERMS);
    const s = Session.parse((await create(tech.token, { method: "sms", to: "+31612345678" })).body);
    expect(s.delivery).toEqual({ channel: "sms", to: "+31612345678", status: "queued" });
    const f = form(`SM${"1".padStart(32, "0")}`, "delivered");
    expect(await report(s.id, f, twilioSignature(TOKEN, `${server.url}/api/v1/delivery/twilio/${s.id}`, f))).toBe(404);
    expect((await sessionOf(tech.token, s.id)).delivery).toMatchObject({ status: "queued" });
  });
});

describe("delivery without a carrier", () => {
  it("reports SMS and email as queued in the outbox, and logs them so", async () => {
    server = await startTestServer();
    const tech = await server.technician(PERMS);
    const sms = Session.parse((await create(tech.token, { method: "sms", to: "+31612345678" })).body);
    const mail = Session.parse((await create(tech.token, { method: "email", to: "ann@example.test" })).body);
    expect(sms.delivery).toEqual({ channel: "sms", to: "+31612345678", status: "queued" });
    expect(mail.delivery).toEqual({ channel: "email", to: "ann@example.test", status: "queued" });
    expect((await eventsOf(tech.token, sms.id)).at(-1)).toMatchObject({ event: "sms-queued", to: "+31612345678", outbox: true });
    expect((await eventsOf(tech.token, mail.id)).at(-1)).toMatchObject({ event: "email-queued", to: "ann@example.test", outbox: true });
  });
});


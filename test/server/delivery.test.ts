import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ErrorBody, Session, SessionLogEntry, type Permission } from "../../src/protocol/index.js";
import { main } from "../../src/server/cli.js";
import { carriersFrom, loadDeliveryConfig } from "../../src/server/delivery/config.js";
import { smtpEmail } from "../../src/server/delivery/smtp.js";
import { twilioSms } from "../../src/server/delivery/twilio.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { mailText, startFakeSmtp, type FakeSmtp } from "../helpers/smtp.js";
import { startFakeTwilio, twilioError, type FakeTwilio } from "../helpers/twilio.js";

const SID = "AC0123456789abcdef0123456789abcdef";
const TOKEN = "twilio-auth-token-secret";
const FROM = "+15005550006";
const PERMS: Permission[] = ["lens", "private", "sms", "email"];

let server: TestServer | undefined;
let twilio: FakeTwilio | undefined;
let smtp: FakeSmtp | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await server?.close();
  await twilio?.close();
  await smtp?.close();
  server = twilio = smtp = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const create = (token: string, body: Record<string, unknown>) => server!.api("POST", "/api/v1/sessions", { token, body });
const logOf = async (token: string, id: string) =>
  ((await server!.api("GET", `/api/v1/sessions/${id}/log`, { token })).body as unknown[]).map((e) => SessionLogEntry.parse(e));

async function withTwilio(authToken = TOKEN): Promise<{ token: string }> {
  twilio = await startFakeTwilio({ accountSid: SID, authToken: TOKEN });
  server = await startTestServer({
    publicUrl: "https://rescue.example.test",
    delivery: { sms: twilioSms({ accountSid: SID, authToken, from: FROM, baseUrl: twilio.baseUrl }) },
  });
  return server.technician(PERMS);
}

describe("SMS through the Twilio Messages API", () => {
  it("posts To, From and a Body with the link and PIN in the customer's language, with basic auth", async () => {
    const tech = await withTwilio();
    const res = await create(tech.token, { method: "sms", to: "+31 6 12345678", language: "nl", name: "Jan" });
    expect(res.status).toBe(201);
    const s = Session.parse(res.body);
    expect(s.delivery).toEqual({ channel: "sms", to: "+31612345678", status: "sent" });
    expect(twilio!.requests).toHaveLength(1);
    const [req] = twilio!.requests;
    expect(req!.authorization).toBe(`Basic ${Buffer.from(`${SID}:${TOKEN}`).toString("base64")}`);
    expect(req!.contentType).toBe("application/x-www-form-urlencoded");
    expect(req!.form.To).toBe("+31612345678");
    expect(req!.form.From).toBe(FROM);
    expect(req!.form.Body).toContain(`https://rescue.example.test/m/${s.pin}`);
    expect(req!.form.Body).toContain(`pincode ${s.pin}`);
    expect(req!.form.Body).toMatch(/^Uw supportmedewerker/);
    expect((await logOf(tech.token, s.id)).map((e) => e.event)).toEqual(["created", "pin-issued", "sms-sent"]);
    // Nothing went to the outbox: the real carrier took it.
    expect(await outboxOf(server!)).toEqual([]);
  });

  it("writes English by default and German when asked", async () => {
    const tech = await withTwilio();
    await create(tech.token, { method: "sms", to: "+4915112345678" });
    await create(tech.token, { method: "sms", to: "+4915112345679", language: "de" });
    expect(twilio!.requests[0]!.form.Body).toMatch(/^Your support technician invites you/);
    expect(twilio!.requests[1]!.form.Body).toMatch(/^Ihr Support-Techniker/);
  });

  const refusals = [
    { name: "21211 invalid To", reply: twilioError(400, 21211, "The 'To' number +15005550001 is not a valid phone number."), reason: /not a valid phone number.*21211.*HTTP 400/ },
    { name: "21608 unverified number", reply: twilioError(400, 21608, "The number +1500555... is unverified. Trial accounts cannot send messages to unverified numbers"), reason: /unverified.*21608/ },
    { name: "500 without JSON", reply: { status: 500, body: "<html>Internal Server Error</html>" }, reason: /^SMS carrier answered HTTP 500$/ },
    { name: "503 with Twilio JSON", reply: twilioError(503, 20503, "Service unavailable"), reason: /Service unavailable.*20503.*HTTP 503/ },
  ];
  for (const { name, reply, reason } of refusals) {
    it(`reports a carrier refusal to the technician and in the log: ${name}`, async () => {
      const tech = await withTwilio();
      twilio!.replyFor("+14155550100", reply);
      const res = await create(tech.token, { method: "sms", to: "+1 415 555 0100" });
      expect(res.status).toBe(201);
      const s = Session.parse(res.body);
      expect(s.delivery).toMatchObject({ channel: "sms", to: "+14155550100", status: "failed" });
      expect(s.delivery!.reason).toMatch(reason);
      // The PIN stays valid so the technician can read it out.
      expect(s.pin).toMatch(/^\d{6}$/);
      const log = await logOf(tech.token, s.id);
      expect(log.map((e) => e.event)).toEqual(["created", "pin-issued", "sms-failed"]);
      expect(log[2]).toMatchObject({ to: "+14155550100", reason: s.delivery!.reason });
    });
  }

  it("reports rejected credentials (401, 20003) without revealing the token", async () => {
    const tech = await withTwilio("a-wrong-auth-token");
    const s = Session.parse((await create(tech.token, { method: "sms", to: "+31612345678" })).body);
    expect(s.delivery).toMatchObject({ status: "failed" });
    expect(s.delivery!.reason).toMatch(/Authenticate.*20003.*HTTP 401/);
    expect(JSON.stringify(await logOf(tech.token, s.id))).not.toContain("a-wrong-auth-token");
  });

  it("reports an unreachable carrier", async () => {
    server = await startTestServer({ delivery: { sms: twilioSms({ accountSid: SID, authToken: TOKEN, from: FROM, baseUrl: "http://127.0.0.1:1" }) } });
    const tech = await server.technician(PERMS);
    const s = Session.parse((await create(tech.token, { method: "sms", to: "+31612345678" })).body);
    expect(s.delivery!.reason).toMatch(/^SMS carrier unreachable/);
  });

  it("refuses a bad number with a 400 before sending, leaving no session behind", async () => {
    const tech = await withTwilio();
    for (const to of ["12345", "+31 6 1234", "+999 123 456 789", "phone"]) {
      const res = await create(tech.token, { method: "sms", to });
      expect(res.status).toBe(400);
      expect(ErrorBody.parse(res.body).error.message).toContain("not a valid phone number");
    }
    expect(twilio!.requests).toEqual([]);
    expect((await server!.api("GET", "/api/v1/sessions", { token: tech.token })).body).toEqual([]);
  });
});

describe("email over SMTP", () => {
  async function withSmtp(password = "smtp-pass"): Promise<{ token: string }> {
    smtp = await startFakeSmtp({ user: "rescue", password: "smtp-pass" });
    server = await startTestServer({
      publicUrl: "https://rescue.example.test",
      delivery: { email: smtpEmail({ host: smtp.host, port: smtp.port, secure: false, user: "rescue", password, from: "Rescue <support@example.test>" }) },
    });
    return server.technician(PERMS);
  }

  it("mails the links and PIN in the customer's language", async () => {
    const tech = await withSmtp();
    const s = Session.parse((await create(tech.token, { method: "email", to: "Kunde@Example.test", language: "de" })).body);
    expect(s.delivery).toEqual({ channel: "email", to: "kunde@example.test", status: "sent" });
    expect(smtp!.mails).toHaveLength(1);
    const [mail] = smtp!.mails;
    expect(mail).toMatchObject({ from: "support@example.test", to: ["kunde@example.test"], user: "rescue" });
    expect(mail!.data).toMatch(/^Subject: Ihre Rescue-Support-Sitzung$/m);
    const text = mailText(mail!);
    expect(text).toMatch(/^Ihr Support-Techniker lädt Sie/);
    expect(text).toContain(`Am Computer: https://rescue.example.test/?code=${s.pin}`);
    expect(text).toContain(`https://rescue.example.test/m/${s.pin}`);
    expect((await logOf(tech.token, s.id)).map((e) => e.event)).toEqual(["created", "pin-issued", "email-sent"]);
  });

  it("reports a refused recipient with the server's reply", async () => {
    const tech = await withSmtp();
    smtp!.refuse("nobody@example.test", "550 5.1.1 <nobody@example.test>: mailbox unavailable");
    const s = Session.parse((await create(tech.token, { method: "email", to: "nobody@example.test" })).body);
    expect(s.delivery).toMatchObject({ channel: "email", status: "failed" });
    expect(s.delivery!.reason).toMatch(/550 5\.1\.1.*mailbox unavailable/);
    const log = await logOf(tech.token, s.id);
    expect(log.at(-1)).toMatchObject({ event: "email-failed", to: "nobody@example.test", reason: s.delivery!.reason });
  });

  it("reports rejected SMTP credentials", async () => {
    const tech = await withSmtp("wrong-password");
    const s = Session.parse((await create(tech.token, { method: "email", to: "c@example.test" })).body);
    expect(s.delivery!.reason).toMatch(/535/);
    expect(smtp!.mails).toEqual([]);
  });

  it("refuses a bad address with a 400 and creates nothing", async () => {
    const tech = await withSmtp();
    const res = await create(tech.token, { method: "email", to: "not an address" });
    expect(res.status).toBe(400);
    expect((await server!.api("GET", "/api/v1/sessions", { token: tech.token })).body).toEqual([]);
  });
});

describe("the delivery file", () => {
  function dataWith(config: unknown, mode: number): string {
    const dir = mkdtempSync(join(tmpdir(), "rescue-delivery-"));
    dirs.push(dir);
    const file = join(dir, "delivery.json");
    writeFileSync(file, JSON.stringify(config));
    chmodSync(file, mode);
    return file;
  }

  it("builds working carriers from a 0600 file", async () => {
    twilio = await startFakeTwilio({ accountSid: SID, authToken: TOKEN });
    smtp = await startFakeSmtp();
    const file = dataWith(
      { twilio: { accountSid: SID, authToken: TOKEN, from: FROM, baseUrl: twilio.baseUrl }, smtp: { host: smtp.host, port: smtp.port, from: "support@example.test" } },
      0o600,
    );
    server = await startTestServer({ delivery: carriersFrom(loadDeliveryConfig(file)) });
    const tech = await server.technician(PERMS);
    expect((await create(tech.token, { method: "sms", to: "+31612345678" })).body.delivery.status).toBe("sent");
    expect((await create(tech.token, { method: "email", to: "c@example.test" })).body.delivery.status).toBe("sent");
    expect(twilio.requests).toHaveLength(1);
    expect(smtp.mails).toHaveLength(1);
  });

  it("refuses a file others can read, and names bad fields without echoing secrets", () => {
    const open = dataWith({ twilio: { accountSid: SID, authToken: TOKEN, from: FROM } }, 0o644);
    expect(() => loadDeliveryConfig(open)).toThrow(/readable by others.*chmod 600/);
    const bad = dataWith({ twilio: { accountSid: "XX-secret-sid", authToken: "short", from: FROM } }, 0o600);
    let message = "";
    try {
      loadDeliveryConfig(bad);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/twilio\.accountSid.*twilio\.authToken/);
    expect(message).not.toContain("XX-secret-sid");
    expect(message).not.toMatch(/"short"/);
  });

  it("rescue-server start exits non-zero on a readable delivery file", async () => {
    const file = dataWith({}, 0o644);
    const data = join(file, "..", "data");
    expect(await main(["node", "rescue-server", "init", "--data", data, "--json"])).toBe(0);
    expect(await main(["node", "rescue-server", "start", "--data", data, "--delivery-config", file])).toBe(5);
  });
});

async function outboxOf(s: TestServer): Promise<unknown[]> {
  const { openSqliteStore } = await import("../../src/server/store/sqlite.js");
  // The server holds the store open; SQLite in WAL mode lets a second reader in.
  const store = openSqliteStore(s.dataDir);
  try {
    return await store.outbox.list();
  } finally {
    store.close();
  }
}

import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Session } from "../../src/protocol/index.js";
import { smtpEmail } from "../../src/server/delivery/smtp.js";
import { twilioSms } from "../../src/server/delivery/twilio.js";
import { eventually } from "../helpers/processes.js";
import { cliLogin, dropHome, makeHome, rescue } from "../helpers/cli.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { startFakeSmtp, type FakeSmtp } from "../helpers/smtp.js";
import { UNDELIVERED_30003, startFakeTwilio, twilioError, type FakeTwilio } from "../helpers/twilio.js";

const SID = "AC0123456789abcdef0123456789abcdef";
const TOKEN = "twilio-auth-token-secret";

describe("rescue session new: delivery results, --lang, --link --copy", () => {
  let server: TestServer;
  let twilio: FakeTwilio;
  let smtp: FakeSmtp;
  let home: string;
  let bin: string;

  beforeAll(async () => {
    twilio = await startFakeTwilio({ accountSid: SID, authToken: TOKEN });
    smtp = await startFakeSmtp();
    server = await startTestServer({
      delivery: {
        sms: twilioSms({ accountSid: SID, authToken: TOKEN, from: "+15005550006", baseUrl: twilio.baseUrl }),
        email: smtpEmail({ host: smtp.host, port: smtp.port, secure: false, from: "Rescue <support@example.test>" }),
      },
    });
    const tech = await server.technician(["lens", "private", "pin", "sms", "link", "email"]);
    home = makeHome();
    bin = mkdtempSync(join(tmpdir(), "rescue-bin-"));
    await cliLogin(home, server.url, tech.email, tech.password);
  });
  afterAll(async () => {
    await dropHome(home);
    await server.close();
    await twilio.close();
    await smtp.close();
    rmSync(bin, { recursive: true, force: true });
  });

  const log = async (id: string) => (await rescue(home, ["session", "log", id, "--json"])).json<any[]>();

  it("an SMS the carrier refuses exits 1, still prints the session with its PIN, and names the reason on stderr", async () => {
    twilio.replyFor("+14155550100", twilioError(400, 21608, "The number +14155550100 is unverified. Trial accounts cannot send messages to unverified numbers"));
    const r = await rescue(home, ["session", "new", "--lens", "--sms", "+14155550100", "--json"]);
    expect(r.code).toBe(1);
    const s = Session.parse(r.json());
    expect(s.pin).toMatch(/^\d{6}$/);
    expect(s.delivery).toMatchObject({ channel: "sms", to: "+14155550100", status: "failed" });
    expect(r.stderr).toMatch(/SMS to \+14155550100 was not delivered: .*unverified.*21608/);
    expect((await log(s.id)).map((e) => e.event)).toContain("sms-failed");

    // Piped without --json: the PIN is on stdout as well.
    const plain = await rescue(home, ["session", "new", "--lens", "--sms", "+14155550100"]);
    expect(plain.code).toBe(1);
    expect(plain.stdout).toMatch(/^pin\t\d{6}$/m);
    expect(plain.stdout).toMatch(/^sms\t\+14155550100: failed \(.*unverified/m);
    for (const id of [s.id, plain.stdout.match(/^id\t(.+)$/m)![1]!]) await rescue(home, ["session", "end", id]);
  });

  it("shows what Twilio reports afterwards: delivered, or failed with the carrier's code", async () => {
    twilio.courseFor("+31612340000", UNDELIVERED_30003);
    const ok = await rescue(home, ["session", "new", "--lens", "--sms", "+31612345670", "--json"]);
    const lost = await rescue(home, ["session", "new", "--lens", "--sms", "+31612340000", "--json"]);
    expect([ok.code, lost.code]).toEqual([0, 0]);
    expect(ok.json().delivery).toMatchObject({ status: "sent" });
    await twilio.settled();
    // The server pushes the reports to the daemon; the list shows them.
    let sessions: Session[] = [];
    for (let i = 0; i < 50; i++) {
      sessions = (await rescue(home, ["session", "list", "--json"])).json<Session[]>();
      if (sessions.find((x) => x.id === lost.json().id)?.delivery?.status === "failed" && sessions.find((x) => x.id === ok.json().id)?.delivery?.status === "delivered") break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(sessions.find((x) => x.id === ok.json().id)?.delivery).toMatchObject({ status: "delivered", carrierStatus: "delivered" });
    expect(sessions.find((x) => x.id === lost.json().id)?.delivery).toMatchObject({ status: "failed", code: 30003, carrierStatus: "undelivered" });
    const log = (await rescue(home, ["session", "log", lost.json().id, "--json"])).json<{ event: string; code?: number }[]>();
    expect(log.at(-1)).toMatchObject({ event: "sms-failed", code: 30003 });
    for (const id of [ok.json().id, lost.json().id]) await rescue(home, ["session", "end", id]);
  });

  it("an email the mail server refuses exits 1 with the server's reply; an accepted one exits 0", async () => {
    smtp.refuse("gone@example.test", "550 5.1.1 mailbox unavailable");
    const r = await rescue(home, ["session", "new", "--lens", "--email", "gone@example.test", "--json"]);
    expect(r.code).toBe(1);
    const s = Session.parse(r.json());
    expect(s.delivery).toMatchObject({ channel: "email", status: "failed" });
    expect(r.stderr).toMatch(/email to gone@example.test was not delivered: .*550 5\.1\.1 mailbox unavailable/);

    const ok = await rescue(home, ["session", "new", "--lens", "--email", "here@example.test", "--json"]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.json().delivery).toMatchObject({ status: "sent" });
    expect(ok.stderr).toBe("");
    for (const id of [s.id, ok.json().id]) await rescue(home, ["session", "end", id]);
  });

  it("--lang picks the language of the SMS text; an unknown one is a usage error", async () => {
    const before = twilio.requests.length;
    const r = await rescue(home, ["session", "new", "--lens", "--sms", "+31612345678", "--lang", "de", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const body = twilio.requests.slice(before).find((q) => q.form.To === "+31612345678")!.form.Body!;
    expect(body).toMatch(/^Ihr Support-Techniker/);
    expect(body).toContain(r.json().pin);
    expect((await rescue(home, ["session", "new", "--lens", "--sms", "+31612345678", "--lang", "fr"])).code).toBe(2);
    await rescue(home, ["session", "end", r.json().id]);
  });

  it("--link prints the customer's link; --copy puts it on the clipboard, or fails before creating anything", async () => {
    const plain = await rescue(home, ["session", "new", "--lens", "--link"]);
    expect(plain.code, plain.stderr).toBe(0);
    const pin = plain.stdout.match(/^pin\t(\d{6})$/m)![1]!;
    expect(plain.stdout).toMatch(new RegExp(`^link\t${server.url.replace(/[.]/g, "\\.")}/m/${pin}$`, "m"));

    // A clipboard tool as a desktop has one: xclip on X11, here writing what it gets to a file.
    const copied = join(bin, "copied.txt");
    writeFileSync(join(bin, "xclip"), `#!/bin/sh\n[ "$1 $2" = "-selection clipboard" ] || exit 3\ncat > "${copied}"\n`);
    chmodSync(join(bin, "xclip"), 0o755);
    const env = { PATH: `${bin}:${process.env.PATH}`, DISPLAY: ":9", WAYLAND_DISPLAY: "" };
    const withCopy = await rescue(home, ["session", "new", "--lens", "--link", "--copy", "--json"], { env });
    expect(withCopy.code, withCopy.stderr).toBe(0);
    const s = Session.parse(withCopy.json());
    expect(readFileSync(copied, "utf8")).toBe(s.links!.mobile);
    expect(withCopy.stderr).toMatch(/copied to the clipboard \(xclip\)/);

    // No display, no tool: a clear error and no session left behind.
    const listed = (await rescue(home, ["session", "list", "--json"])).json<any[]>().length;
    const none = await rescue(home, ["session", "new", "--lens", "--link", "--copy"], { env: { PATH: bin, DISPLAY: "", WAYLAND_DISPLAY: "" } });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--copy: no clipboard here; tried wl-copy \(WAYLAND_DISPLAY is unset\), xclip \(DISPLAY is unset\), xsel \(DISPLAY is unset\), pbcopy \(macOS only\)/);
    expect(none.stderr).toMatch(/use --open to open the link in the browser/);
    const notInstalled = await rescue(home, ["session", "new", "--lens", "--link", "--copy"], { env: { PATH: "/nonexistent", DISPLAY: ":9", WAYLAND_DISPLAY: "" } });
    expect(notInstalled.code).toBe(2);
    expect(notInstalled.stderr).toMatch(/xclip \(not installed\), xsel \(not installed\)/);
    expect((await rescue(home, ["session", "list", "--json"])).json<any[]>()).toHaveLength(listed);
    expect((await rescue(home, ["session", "new", "--lens", "--pin", "--copy"])).code).toBe(2);
    for (const id of [s.id, plain.stdout.match(/^id\t(.+)$/m)![1]!]) await rescue(home, ["session", "end", id]);
  });

  it("--open opens the link with xdg-open, whose browser gets it; without a display or xdg-open it fails before creating anything", async () => {
    // The real xdg-open; with no desktop environment and no URL handler registered (empty XDG
    // folders) it hands the URL to $BROWSER: here a browser stand-in that writes down what it got.
    const opened = join(bin, "opened.txt");
    writeFileSync(join(bin, "browser"), `#!/bin/sh\nprintf %s "$1" > "${opened}"\n`);
    chmodSync(join(bin, "browser"), 0o755);
    const xdg = join(bin, "xdg");
    mkdirSync(xdg, { recursive: true });
    const env = {
      PATH: process.env.PATH!,
      DISPLAY: ":9",
      WAYLAND_DISPLAY: "",
      BROWSER: join(bin, "browser"),
      XDG_CURRENT_DESKTOP: "",
      ...Object.fromEntries(["XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CONFIG_DIRS", "XDG_DATA_DIRS"].map((k) => [k, xdg])),
    };
    const r = await rescue(home, ["session", "new", "--lens", "--link", "--open", "--json"], { env });
    expect(r.code, r.stderr).toBe(0);
    const s = Session.parse(r.json());
    expect(r.stderr).toMatch(/link opened with xdg-open/);
    // xdg-open may still be on its way to the browser when the command returns (a browser keeps it).
    expect(await eventually(() => existsSync(opened), 20_000)).toBe(true);
    expect(readFileSync(opened, "utf8")).toBe(s.links!.mobile);

    const listed = (await rescue(home, ["session", "list", "--json"])).json<any[]>().length;
    const headless = await rescue(home, ["session", "new", "--lens", "--link", "--open"], { env: { DISPLAY: "", WAYLAND_DISPLAY: "" } });
    expect(headless.code).toBe(2);
    expect(headless.stderr).toMatch(/--open: no desktop display here/);
    const missing = await rescue(home, ["session", "new", "--lens", "--link", "--open"], { env: { PATH: "/nonexistent", DISPLAY: ":9" } });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/xdg-open is not installed/);
    expect((await rescue(home, ["session", "list", "--json"])).json<any[]>()).toHaveLength(listed);
    expect((await rescue(home, ["session", "new", "--lens", "--pin", "--open"])).code).toBe(2);
    await rescue(home, ["session", "end", s.id]);
  });
});

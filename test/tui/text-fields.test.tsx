import { describe, expect, it, vi } from "vitest";
import type { CreateSessionRequest, InviteRequest } from "../../src/protocol/index.js";
import { consolePerTest } from "./console.js";
import { FakeDaemon } from "./fake-daemon.js";
import { KEYS } from "./terminal.js";

// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f-\x9f]/;

/** The fake daemon, keeping what each field's request carried. */
class RecordingDaemon extends FakeDaemon {
  readonly sent: Array<{ what: string; value: unknown }> = [];
  override async createSession(req: CreateSessionRequest) {
    this.sent.push({ what: "create", value: req });
    return super.createSession(req);
  }
  override async chat(id: string, text: string) {
    this.sent.push({ what: "chat", value: text });
    return super.chat(id, text);
  }
  override async invite(id: string, req: InviteRequest) {
    this.sent.push({ what: "invite", value: req });
    return super.invite(id, req);
  }
  override async transfer(id: string, to: string) {
    this.sent.push({ what: "transfer", value: to });
    return super.transfer(id, to);
  }
}

const open = consolePerTest({ columns: 100, rows: 30, wordwise: true, seeMs: 10_000 });

/** Types `wanted` with a mistake erased by a burst of Backspaces, and stray control characters. */
const typo = (wanted: string) => [...wanted.slice(0, 2), "xyz", "\x7f\x7f\x7f", "\x01\x02", ...wanted.slice(2)];

describe("console text fields under bursts of Backspace and control characters", () => {
  it("stores the name and phone number of a new session as typed, with nothing else", async () => {
    const d = new RecordingDaemon();
    const t = open(d);
    await t.see("No sessions yet");
    await t.type("n");
    await t.see("New session");
    await t.type(KEYS.tab, ...typo("Bob Jansen"), KEYS.tab, KEYS.right, KEYS.tab, ...typo("+31612345678"), KEYS.enter);
    await t.see("Session created: Bob Jansen (Lens)");
    expect(d.sent).toEqual([{ what: "create", value: expect.objectContaining({ name: "Bob Jansen", method: "sms", to: "+31612345678" }) }]);
  });

  it("sends chat, invitation and transfer fields as typed, with nothing else", async () => {
    const d = new RecordingDaemon();
    d.seed("Bob", "active");
    const t = open(d);
    await t.see("Bob");
    await t.type("c", ...typo("hello there"), KEYS.enter);
    // Sent and the line closed ("c to write" again) before the next key is a command.
    await t.see("c to write");

    await t.type("i");
    await t.see("Invite a technician to Bob");
    await t.type(KEYS.tab, ...typo("bob@example.com"), KEYS.tab, KEYS.tab, ...typo("router issue"), KEYS.enter);
    await t.see("Invited bob@example.com");
    await t.type(KEYS.enter);

    await t.type("t");
    await t.see("Transfer");
    await t.type(...typo("carol@example.com"), KEYS.enter);
    await vi.waitFor(() => expect(d.sent.map((s) => s.what)).toContain("transfer"), { timeout: 10_000 });

    expect(d.sent).toEqual([
      { what: "chat", value: "hello there" },
      { what: "invite", value: expect.objectContaining({ to: "bob@example.com", comment: "router issue" }) },
      { what: "transfer", value: "carol@example.com" },
    ]);
    expect(JSON.stringify(d.sent)).not.toMatch(CONTROL);
  });
});

import { afterEach, describe, expect, it } from "vitest";
import { render, cleanup } from "ink-testing-library";
import { RescueError } from "../../src/protocol/index.js";
import { DetailPane } from "../../src/tui/components/DetailPane.js";
import { consolePerTest } from "./console.js";
import { FakeDaemon } from "./fake-daemon.js";
import { session } from "./make.js";
import { KEYS } from "./terminal.js";


const open = consolePerTest({ wordwise: true });

afterEach(() => {
  cleanup();
});

describe("console collaboration", () => {
  it("invites a technician of the organisation, showing a refusal in place and then the invitation", async () => {
    const d = new FakeDaemon();
    d.seed("Bob", "active");
    const t = open(d);
    await t.see(/Bob\s+Lens\s+Active/);
    await t.type("i");
    await t.see("Invite a technician to Bob");
    expect(t.lastFrame()).toMatch(/> Technician\s+Internal\s+External/);
    expect(t.lastFrame()).toContain("[x] view  [x] chat  [ ] talk  [ ] annotate  [ ] record");
    expect(t.lastFrame()).not.toContain("Send by");
    await t.type(KEYS.tab, ..."zed@example.com".split(""), KEYS.enter);
    await t.see("Error: no technician zed@example.com in your organisation; invite them as an external technician");
    expect(t.lastFrame()).toMatch(/> Email\s+zed@example.com/);
    for (let i = 0; i < "zed@example.com".length; i++) await t.type(KEYS.backspace);
    await t.type(..."bob@example.com".split(""), KEYS.tab, KEYS.right, KEYS.right, " ");
    await t.see("[x] view  [x] chat ›[x] talk  [ ] annotate");
    await t.type(KEYS.tab, ..."router issue".split(""), KEYS.enter);
    await t.see("Invited bob@example.com (internal) to Bob");
    const frame = t.lastFrame();
    expect(frame).toContain("Permissions  view, chat, talk");
    expect(frame).toContain("Comment      router issue");
    expect(frame).toMatch(/PIN\s+482914\s+rescue join --pin 482914/);
    expect(frame).toContain("Sent to      bob@example.com");
    expect(d.calls.filter((c) => c.startsWith("invite"))).toEqual(["invite s1", "invite s1"]);
    await t.type(KEYS.enter);
    await t.see(/Bob\s+Lens\s+Active/);
  });

  it("invites an external technician by link, and lists collaborators once they join", async () => {
    const d = new FakeDaemon();
    const s = d.seed("Bob", "active");
    const t = open(d);
    await t.see(/Bob\s+Lens\s+Active/);
    await t.type("i", KEYS.right, KEYS.tab);
    await t.see(/> Send by\s+PIN\s+Email\s+Link/);
    expect(t.lastFrame()).toMatch(/For \(opt\.\)/);
    await t.type(KEYS.left, KEYS.enter);
    await t.see("Invited an external technician (external) to Bob");
    expect(t.lastFrame()).toContain("Link         http://127.0.0.1:8080/collaborate/482914");
    await t.type(KEYS.escape);
    const [external] = d.invitationsOf(s.id);
    d.collaboratorJoins(external!.id);
    await t.see(/Bob\s+Lens\s+Collaborating/);
    await t.see("With  external technician (external: view, chat)");
    // A second, internal collaborator while Collaborating: invite stays open to them.
    await t.type("i", KEYS.tab, ..."bob@example.com".split(""), KEYS.enter);
    await t.see("Invited bob@example.com (internal)");
    await t.type(KEYS.enter);
    d.collaboratorJoins(d.invitationsOf(s.id)[1]!.id);
    await t.see("With  bob@example.com (internal: view, chat)");
    expect(t.lastFrame()).toContain("With  external technician (external: view, chat)");
  });

  it("transfers the session, showing why the server refused first", async () => {
    const d = new FakeDaemon();
    d.seed("Bob", "active");
    const t = open(d);
    await t.see(/Bob\s+Lens\s+Active/);
    expect(t.lastFrame()).not.toContain("led by");
    await t.type("t");
    await t.see("Transfer Bob to another technician");
    await t.type(..."carol@example.com".split(""), KEYS.enter);
    await t.see("Error: carol@example.com is not online: a transfer needs their connected console or daemon");
    expect(t.lastFrame()).toMatch(/> Email\s+carol@example.com/);
    for (let i = 0; i < "carol@example.com".length; i++) await t.type(KEYS.backspace);
    d.failNext.set("transfer", new RescueError("forbidden", "your group may not transfer sessions"));
    await t.type(..."bob@example.com".split(""), KEYS.enter);
    await t.see("Error: your group may not transfer sessions");
    await t.type(KEYS.enter);
    await t.see("Transferred Bob to bob@example.com");
    expect(d.calls.filter((c) => c.startsWith("transfer"))).toEqual(["transfer s1", "transfer s1", "transfer s1"]);
    await t.type(KEYS.enter);
    await t.see(/Bob · Lens · Active \d+s · led by bob@example.com/);
  });

  it("announces an invitation addressed to me with the PIN to join", async () => {
    const d = new FakeDaemon();
    const t = open(d);
    await t.see("No sessions yet");
    d.invitedBy("bob@example.com", "Printer at Smit", { permissions: ["view", "chat", "talk"], pin: "771203" });
    // At 80 columns the PIN still shows; the permissions follow as far as the line allows.
    await t.see("bob@example.com invites you to Printer at Smit: J joins (PIN 771203) · view");
  });

  it("joins the session I was invited to with J, and says why when it cannot", async () => {
    const d = new FakeDaemon();
    const t = open(d);
    await t.see("No sessions yet");
    // Not in the footer (it has no room), but in the help.
    expect(t.lastFrame()).not.toContain("J join");
    await t.type("?");
    await t.see("J   join the session you were last invited to");
    await t.type("?", "J");
    await t.see("Error: no invitation to join");
    d.invitedBy("bob@example.com", "Printer at Smit", { pin: "771203" });
    await t.see("J joins (PIN 771203)");
    d.failNext.set("join", new RescueError("conflict", "the session has ended"));
    await t.type("J");
    await t.see("Error: join failed: the session has ended");
    await t.type("J");
    await t.see("joined Printer at Smit of bob@example.com as ann@example.com: view, chat");
    expect(d.calls.filter((c) => c.startsWith("join"))).toEqual(["join 771203", "join 771203"]);
    await t.see(/> Printer at Smit\s+Lens\s+Collaborating/);
    await t.see(/Printer at Smit · Lens · Collaborating \d+s · led by bob@example.com/);
    expect(t.lastFrame()).toContain("With  ann@example.com (internal: view, chat)");
    // Joined: J has nothing left to join.
    await t.type("J");
    await t.see("Error: no invitation to join");
  });
});

describe("collaborators in the active session pane", () => {
  it("lists who, internal or external, and their permissions, and counts those that do not fit", () => {
    const collaborators = [
      { id: "i1", technician: "bob@example.com", external: false, permissions: ["view", "chat", "talk"] as const, joinedAt: "2026-01-01T10:00:00.000Z" },
      { id: "i2", technician: "eve@x.io", external: true, permissions: [] as const, joinedAt: "2026-01-01T10:01:00.000Z" },
      { id: "i3", technician: "carol@example.com", external: false, permissions: ["view"] as const, joinedAt: "2026-01-01T10:02:00.000Z" },
    ].map((c) => ({ ...c, permissions: [...c.permissions] }));
    const s = session("s1", "collaborating", { collaborators });
    const pane = (rows: number, wide: boolean) => render(<DetailPane session={s} media={undefined} chat={[]} chatDraft={null} rows={rows} wide={wide} />).lastFrame()!;
    const wide = pane(10, true);
    expect(wide).toContain("With  bob@example.com (internal: view, chat, talk)");
    expect(wide).toContain("With  eve@x.io (external: no permissions)");
    expect(wide).toContain("With  carol@example.com (internal: view)");
    // Narrow: at most half the rows under the stats, the rest stays for chat.
    const narrow = pane(10, false);
    expect(narrow).toContain("With  bob@example.com (internal: view, chat, talk)");
    expect(narrow).toContain("+2 more collaborators");
    expect(narrow).not.toContain("carol@example.com");
    expect(pane(6, false)).not.toContain("With");
  });
});

import { describe, expect, it, vi } from "vitest";
import { RescueError } from "../../src/protocol/index.js";
import { consolePerTest } from "./console.js";
import { FakeDaemon } from "./fake-daemon.js";
import { KEYS } from "./terminal.js";


const open = consolePerTest({});

function lines(frame: string) {
  return frame.split("\n");
}

describe("console app", () => {
  it("lists sessions with name, type, status in words, PIN and a ticking time in status", async () => {
    const d = new FakeDaemon();
    d.seed("Bob Jansen", "connecting", new Date(Date.now() - 65_000));
    d.seed("Eve Peters", "active", new Date(Date.now() - 5_000));
    const t = open(d);
    await t.see("Bob Jansen");
    const frame = t.lastFrame();
    expect(frame).toMatch(/Bob Jansen\s+Lens\s+Connecting\s+482913\s+1m [01]\ds/);
    expect(frame).toMatch(/Eve Peters\s+Lens\s+Active\s+-\s+([5-9]|1\d)s/);
    expect(frame).toContain("ann@example.com");
    expect(frame).toContain("server connected");
    // The clock ticks: the time in status grows without any event.
    const seconds = () => Number(/Connecting\s+482913\s+1m (\d\d)s/.exec(t.lastFrame())?.[1]);
    const first = seconds();
    await vi.waitFor(() => expect(seconds()).toBeGreaterThan(first), { timeout: 3000 });
  });

  it("rings the bell and marks a session that becomes Waiting", async () => {
    const d = new FakeDaemon();
    const s = d.seed("Bob Jansen", "connecting");
    const t = open(d);
    await t.see("Connecting");
    expect(t.stdout.frames.join("")).not.toContain("\x07");
    d.customerJoins(s.id);
    await t.see(/Bob Jansen\s+Lens\s+Waiting\s+-\s+\d+s\s+NEW/);
    await vi.waitFor(() => expect(t.stdout.frames.filter((f) => f.includes("\x07"))).toHaveLength(1));
    // Once: later redraws (the ticking clock) do not ring again.
    await t.see(/Waiting\s+-\s+[1-9]s/);
    expect(t.stdout.frames.filter((f) => f.includes("\x07"))).toHaveLength(1);
    expect(t.lastFrame()).toContain("Customer ready (camera on, microphone on, EULA accepted). Press s to start.");
  });

  it("creates a session by SMS, shows PIN, links and delivery, and issues another PIN", async () => {
    const d = new FakeDaemon();
    const t = open(d);
    await t.see("No sessions yet");
    await t.type("n");
    await t.see("New session");
    await t.type(KEYS.tab, "B", "o", "b", KEYS.tab, KEYS.right, KEYS.tab);
    await t.see(/> Phone/);
    await t.type(..."+31612345678".split(""), KEYS.enter);
    await t.see("Session created: Bob (Lens)");
    const frame = t.lastFrame();
    expect(frame).toMatch(/PIN 482913/);
    expect(frame).toContain("Desktop link  http://127.0.0.1:8080/?code=482913");
    expect(frame).toContain("Mobile link   http://127.0.0.1:8080/m/482913");
    expect(frame).toContain("SMS sent to +31612345678");
    await t.type("a");
    await t.see("PIN 482914");
    expect(d.calls).toContain("regeneratePin s1");
    await t.type(KEYS.enter);
    await t.see(/> Bob\s+Lens\s+Connecting\s+482914/);
    expect(t.lastFrame()).toContain("Desktop link  http://127.0.0.1:8080/?code=482914");
  });

  it("shows a refused creation in the dialog and keeps what was typed", async () => {
    const d = new FakeDaemon();
    const t = open(d);
    await t.see("No sessions yet");
    await t.type("n", KEYS.tab, KEYS.tab, KEYS.right, KEYS.tab, "0", "6", KEYS.enter);
    await t.see("Error: not a phone number: 06");
    expect(t.lastFrame()).toMatch(/> Phone\s+06/);
    d.failNext.set("createSession", new RescueError("forbidden", "your group may not send SMS"));
    await t.type(KEYS.backspace, KEYS.backspace, ..."+31612345678".split(""), KEYS.enter);
    await t.see("Error: your group may not send SMS");
  });

  it("starts a Waiting session and shows media stats refreshed every second, recording and mute", async () => {
    const d = new FakeDaemon();
    const s = d.seed("Bob", "waiting");
    const t = open(d);
    await t.see("Press s to start");
    await t.type("s");
    await t.see(/Bob\s+Lens\s+Active/);
    await t.see("Rec   /tmp/rescue-home/recordings/s1.webm  0 B");
    d.setStats(s.id, { codec: "VP8", width: 1280, height: 720, fps: 29.97, bitrateKbps: 1450, frames: 100 }, 40_000);
    await t.see("VP8  1280x720  30.0 fps  1.45 Mbit/s");
    await t.see("Rec   /tmp/rescue-home/recordings/s1.webm  39 KiB");
    d.setStats(s.id, { fps: 15, bitrateKbps: 600, packetsLost: 7, packetsRecovered: 5 }, 2_500_000);
    await t.see("VP8  1280x720  15.0 fps  600 kbit/s");
    await t.see("video 7 lost, 5 recovered");
    await t.see("2.4 MiB");
    expect(t.lastFrame()).toContain("talk on");
    await t.type("m");
    await t.see("talk MUTED");
    expect(d.calls).toContain("mute s1");
    await t.type("m");
    await t.see("talk on");
  });

  it("shows an action the daemon refuses in place, without crashing", async () => {
    const d = new FakeDaemon();
    d.seed("Bob", "waiting");
    const t = open(d);
    await t.see("Press s to start");
    await t.type("h");
    await t.see("Error: hold failed: session s1 is waiting, not active or collaborating");
    await t.type("i");
    await t.see("Error: invite: start the session first (invitations are for Active sessions)");
  });

  it("holds, resumes and ends (after confirming) the selected session", async () => {
    const d = new FakeDaemon();
    d.seed("Bob", "active");
    const t = open(d);
    await t.see(/Bob\s+Lens\s+Active/);
    await t.type("h");
    await t.see(/Bob\s+Lens\s+On hold/);
    await t.type("r");
    await t.see(/Bob\s+Lens\s+Active/);
    await t.type("e");
    await t.see("End session Bob? y ends it, any other key keeps it");
    await t.type("x");
    await t.see("kept the session");
    expect(d.calls).not.toContain("end s1");
    await t.type("e", "y");
    await t.see(/Bob\s+Lens\s+Closed/);
    expect(t.lastFrame()).toContain("Session ended: Closed. l shows its log.");
  });

  it("shows chat history from both sides and sends a message", async () => {
    const d = new FakeDaemon();
    const s = d.seed("Bob", "active");
    const t = open(d);
    await t.see("no messages yet");
    d.customerSays(s.id, "the camera shows the router");
    await t.see(/Bob: the camera shows the router/);
    // All at once, as a paste or a fast typist delivers it: no letter may act as a shortcut.
    t.stdin.write("c");
    for (const ch of "hold it, plug it in") t.stdin.write(ch);
    await t.see("> hold it, plug it in");
    expect(d.calls.filter((c) => !c.startsWith("stats"))).not.toContain("hold s1");
    await t.type(KEYS.enter);
    await t.see(/ann@example.com: hold it, plug it in/);
    expect(t.lastFrame().match(/plug it in/g)).toHaveLength(1);
    expect(t.lastFrame()).toMatch(/Bob\s+Lens\s+Active/);
    // A pasted line with its newline, in one chunk, is sent.
    await t.type("c");
    t.stdin.write("the cable is loose\r");
    await t.see(/ann@example.com: the cable is loose/);
    d.failNext.set("chat", new RescueError("forbidden", "chat is not allowed for your group"));
    await t.type("c", "x", KEYS.enter);
    await t.see("Error: chat failed: chat is not allowed for your group");
  });

  it("shows chat from before the console opened, once, and no bell for a customer already waiting", async () => {
    const d = new FakeDaemon();
    const s = d.seed("Bob", "active");
    const w = d.seed("Eve", "connecting");
    d.customerSays(s.id, "are you there?");
    d.customerJoins(w.id);
    const t = open(d);
    await t.see(/Bob: are you there\?/);
    expect(d.calls).toContain("events since=0");
    expect(t.lastFrame().match(/are you there/g)).toHaveLength(1);
    expect(t.stdout.frames.join("")).not.toContain("\x07");
  });

  it("shows help and the session log", async () => {
    const d = new FakeDaemon();
    const t = open(d);
    await t.see("No sessions yet");
    await t.type("n", KEYS.enter);
    await t.see("Session created");
    await t.type(KEYS.escape, "?");
    await t.see("Keys");
    expect(t.lastFrame()).toContain("invite a technician to collaborate");
    await t.type("?", "l");
    await t.see("Session log: s1");
    expect(t.lastFrame()).toMatch(/\d\d:\d\d:\d\d created by=ann@example.com/);
    expect(t.lastFrame()).toMatch(/pin-issued pin=482913/);
  });

  it("shows a banner while the daemon is gone and carries on from the last event when it returns", async () => {
    const d = new FakeDaemon();
    const s = d.seed("Bob", "connecting");
    const t = open(d);
    await t.see("Connecting");
    d.customerJoins(s.id);
    await t.see("Waiting");
    d.stop();
    await t.see("daemon not reachable — retrying");
    await t.type("s");
    await t.see("Error: start failed: daemon not running");
    d.restart({ newProcess: false });
    await vi.waitFor(() => expect(t.lastFrame()).not.toContain("daemon not reachable"), { timeout: 3000 });
    await vi.waitFor(() => expect(d.calls.filter((c) => c.startsWith("events")).at(-1)).toBe(`events since=${d.eventCount}`));
    await t.type("s");
    await t.see(/Bob\s+Lens\s+Active/);
  });

  it("fetches the whole list again when an event id was skipped", async () => {
    const d = new FakeDaemon();
    d.seed("Bob", "active");
    const t = open(d);
    d.customerSays("s1", "first");
    await t.see("Bob: first");
    const lists = () => d.calls.filter((c) => c === "listSessions").length;
    const before = lists();
    d.skipAnEventId();
    d.customerSays("s1", "second");
    await vi.waitFor(() => expect(lists()).toBe(before + 1));
    await t.see("Bob: second");
    expect(t.lastFrame()).not.toContain("Error");
  });

  it("starts afresh with a daemon that was restarted as a new process", async () => {
    const d = new FakeDaemon();
    const s = d.seed("Bob", "connecting");
    const t = open(d);
    await t.see("Connecting");
    d.customerJoins(s.id);
    await t.see("Waiting");
    d.stop();
    await t.see("daemon not reachable");
    d.restart({ newProcess: true });
    await vi.waitFor(() => expect(d.calls.filter((c) => c.startsWith("events")).at(-1)).toBe("events since=0"));
    await t.type("s");
    await t.see(/Bob\s+Lens\s+Active/);
    // The new process numbers its events from 1 again; the console must not skip them.
    await t.type("h");
    await t.see(/Bob\s+Lens\s+On hold/);
  });

  it("fits 80x24 and reflows when the terminal is resized", async () => {
    const d = new FakeDaemon();
    for (let i = 0; i < 12; i++) d.seed(`Customer number ${i}`, i % 2 ? "waiting" : "active", new Date(Date.now() - i * 1000));
    const t = open(d);
    await t.see("Customer number 11");
    const check = (cols: number, rows: number) => {
      const ls = lines(t.lastFrame());
      expect(ls.length).toBeLessThanOrEqual(rows - 1);
      for (const l of ls) expect(l.length).toBeLessThanOrEqual(cols);
    };
    check(80, 24);
    expect(t.lastFrame()).toMatch(/1-\d+ of 12/);
    t.stdout.resize(120, 40);
    await t.see("Customer number 0 ");
    expect(t.lastFrame()).not.toContain("of 12");
    check(120, 40);
    // Wide: the live picture, then stats and chat of the active session side by side.
    await t.type(KEYS.down);
    await t.see(/── Customer number 10 · Lens · Active/);
    await t.see(/\n\u2580{42} Video -  no video yet  0\.0 fps  0 kbit\S* +Chat/);
    expect(lines(t.lastFrame()).filter((l) => /^\u2580{42}( |$)/.test(l)).length).toBeGreaterThanOrEqual(10);
    check(120, 40);
    t.stdout.resize(60, 16);
    await t.see(/1-\d of 12/);
    check(60, 16);
  });

  it("says why the list is missing when the daemon cannot list, without calling it unreachable", async () => {
    const d = new FakeDaemon();
    d.failNext.set("listSessions", new RescueError("unauthenticated", "not logged in: run rescue login --server URL"));
    const t = open(d);
    await t.see("Error: listing sessions failed: not logged in: run rescue login --server URL");
    expect(t.lastFrame()).not.toContain("daemon not reachable");
    // Events still arrive.
    await t.type("n", KEYS.enter);
    await t.see("Session created");
    await t.type(KEYS.enter);
    await t.see(/> s1\s+Lens\s+Connecting/);
  });

  it("tells when the daemon is not logged in to a server", async () => {
    const d = new FakeDaemon();
    const t = open(d);
    await t.see("server connected");
    d.setBackend("logged-out");
    await t.see("not logged in (rescue login)");
  });
});

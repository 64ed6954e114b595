import { afterEach, describe, expect, it, vi } from "vitest";
import { App, type ConsoleTimings } from "../../src/tui/App.js";
import { FakeDaemon } from "./fake-daemon.js";
import { KEYS, renderAt } from "./terminal.js";

const FAST: ConsoleTimings = { retryMs: 40, statsMs: 40, tickMs: 100 };
const opened: Array<{ unmount: () => void }> = [];

function open(daemon: FakeDaemon, columns = 100, rows = 24) {
  const t = renderAt(<App client={daemon} timings={FAST} />, columns, rows);
  opened.push(t.instance);
  const see = (text: string | RegExp) =>
    vi.waitFor(() => (typeof text === "string" ? expect(t.lastFrame()).toContain(text) : expect(t.lastFrame()).toMatch(text)), { timeout: 5000 });
  const type = async (...keys: string[]) => {
    for (const k of keys) {
      t.stdin.write(k);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  return { ...t, see, type };
}

afterEach(() => {
  for (const i of opened.splice(0)) i.unmount();
});

describe("console: new PINs, the session id, recordings after the end", () => {
  it("the dialog's 'create another PIN' says the old PIN no longer works, and shows the session id", async () => {
    const d = new FakeDaemon();
    const t = open(d);
    await t.see("No sessions yet");
    await t.type("n", KEYS.tab, "A", "d", "a", KEYS.enter);
    await t.see("Session created: Ada (Lens)");
    expect(t.lastFrame()).toMatch(/Session ID +s1/);
    expect(t.lastFrame()).not.toContain("no longer works");
    await t.type("a");
    await t.see("New PIN: the old PIN 482913 no longer works");
    expect(t.lastFrame()).toContain("PIN 482914");
    await t.type("a");
    await t.see("New PIN: the old PIN 482914 no longer works");
  });

  it("p gives the selected Connecting session a new PIN from the main screen, naming the dead one", async () => {
    const d = new FakeDaemon();
    const s = d.seed("Bob", "connecting");
    const t = open(d);
    await t.see(/> Bob\s+Lens\s+Connecting\s+482913/);
    expect(t.lastFrame()).toContain(`Bob · Lens · Connecting`);
    expect(t.lastFrame()).toContain(` · ${s.id}`);
    await t.type("p");
    await t.see(`new PIN 482914 for Bob; the old PIN 482913 no longer works`);
    await t.see(/> Bob\s+Lens\s+Connecting\s+482914/);
    expect(d.calls).toContain(`regeneratePin ${s.id}`);
  });

  it("p brings back a session that timed out before its customer came; it refuses once the customer joined", async () => {
    const d = new FakeDaemon();
    d.seed("Cas", "timed-out");
    const t = open(d);
    await t.see(/Session ended: Timed out\. l shows its log, p gives it a new PIN\./);
    await t.type("p");
    await t.see(/> Cas\s+Lens\s+Connecting\s+\d{6}/);
    d.customerJoins("s1");
    await t.see(/> Cas\s+Lens\s+Waiting/);
    await t.type("p");
    await t.see("new PIN: only before the customer joins");
  });

  it("keeps the recording's path in view after the session ends", async () => {
    const d = new FakeDaemon();
    d.seed("Dee", "connecting");
    const t = open(d);
    await t.see("Dee");
    d.customerJoins("s1");
    await t.see(/> Dee\s+Lens\s+Waiting/);
    await t.type("s");
    await t.see("/tmp/rescue-home/recordings/s1.webm");
    await t.type("e", "y");
    await t.see("Session ended: Closed.");
    expect(t.lastFrame()).toContain("Recording  /tmp/rescue-home/recordings/s1.webm");
  });
});

import { afterEach, describe, expect, it, vi } from "vitest";
import { App, type ConsoleTimings } from "../../src/tui/App.js";
import { initialConsoleState, consoleReducer } from "../../src/tui/state/console.js";
import { interpretKey } from "../../src/tui/state/keys.js";
import { voiceSession } from "../../src/tui/state/voice.js";
import { FakeDaemon } from "./fake-daemon.js";
import { renderAt } from "./terminal.js";

const FAST: ConsoleTimings = { retryMs: 40, statsMs: 40, tickMs: 100 };
const opened: Array<{ unmount: () => void }> = [];
afterEach(() => {
  for (const i of opened.splice(0)) i.unmount();
});

function open(daemon: FakeDaemon) {
  const t = renderAt(<App client={daemon} timings={FAST} />, 100, 24);
  opened.push(t.instance);
  const see = (text: string) => vi.waitFor(() => expect(t.lastFrame()).toContain(text), { timeout: 5000 });
  const until = (ok: () => boolean) => vi.waitFor(() => expect(ok()).toBe(true), { timeout: 5000 });
  const type = async (key: string) => {
    t.stdin.write(key);
    await new Promise((r) => setTimeout(r, 5));
  };
  return { ...t, see, until, type };
}

describe("the console's sound", () => {
  it("plays the active Lens session's customer by default; a toggles the speaker, M the microphone; ending stops both", async () => {
    const d = new FakeDaemon();
    d.seed("Waiting one", "waiting");
    const s = d.seed("Ann", "active");
    const t = open(d);
    await t.see("speaker on · mic off");
    await t.until(() => d.voices.has(`speaker ${s.id}`));
    expect(d.voices.has(`mic ${s.id}`)).toBe(false);

    await t.type("a");
    await t.see("speaker off · mic off");
    await t.until(() => d.voices.size === 0);
    await t.type("M");
    await t.see("speaker off · mic on");
    await t.until(() => d.voices.has(`mic ${s.id}`));
    await t.type("a");
    await t.until(() => d.voices.has(`speaker ${s.id}`) && d.voices.has(`mic ${s.id}`));

    // On hold nothing is streamed: both stop, and come back on resume.
    await d.hold(s.id);
    await t.until(() => d.voices.size === 0);
    expect(t.lastFrame()).not.toContain("speaker on");
    await d.resume(s.id);
    await t.until(() => d.voices.size === 2);
    await d.end(s.id);
    await t.until(() => d.voices.size === 0);
  });

  it("turns a direction off and says why when its sound cannot start", async () => {
    const d = new FakeDaemon();
    d.voiceFailure = "ffmpeg could not play on the default output: Connection refused";
    const s = d.seed("Ann", "active");
    const t = open(d);
    await t.see("speaker off: ffmpeg could not play on the default output");
    await t.see("speaker off · mic off");
    expect(d.voices.has(`speaker ${s.id}`)).toBe(false);
  });

  it("keys and the session choice are pure: the selected running Lens session, else the first one", () => {
    const d = new FakeDaemon();
    const a = d.seed("A", "active");
    const b = d.seed("B", "collaborating");
    const held = d.seed("C", "on-hold");
    let state = consoleReducer(initialConsoleState(Date.now()), { type: "sessions/resync", sessions: [a, b, held] });
    const select = (id: string) => {
      for (let i = 0; i < 3 && state.sessions.selectedId !== id; i++) state = consoleReducer(state, { type: "select/move", delta: 1 });
      expect(state.sessions.selectedId).toBe(id);
    };
    select(b.id);
    expect(voiceSession(state.sessions)).toBe(b.id);
    // A session on hold is not carried: the first running one is.
    select(held.id);
    expect(voiceSession(state.sessions)).toBe(a.id);
    const toggled = interpretKey(state, "M", {});
    expect(toggled.actions[0]).toEqual({ type: "voice/toggle", kind: "mic" });
    expect(toggled.effects).toEqual([]);
    for (const action of toggled.actions) state = consoleReducer(state, action);
    expect(state.voice).toEqual({ speaker: true, mic: true });
  });
});

import { describe, expect, it } from "vitest";
import type { ConsoleAction } from "../../src/tui/state/actions.js";
import { consoleReducer, initialConsoleState, type ConsoleState } from "../../src/tui/state/console.js";
import { interpretKey, splitChunk, type KeyPress } from "../../src/tui/state/keys.js";
import { session, sessionEvent } from "./make.js";

const at = Date.parse("2026-01-01T10:05:00.000Z");
const run = (actions: ConsoleAction[], from = initialConsoleState(at)) => actions.reduce(consoleReducer, from);
/** Presses keys in order, applying their actions; returns the end state and every effect asked for. */
function press(state: ConsoleState, ...keys: Array<string | KeyPress>) {
  const effects = [];
  for (const k of keys) {
    const r = typeof k === "string" ? interpretKey(state, k, {}) : interpretKey(state, "", k);
    state = run(r.actions, state);
    effects.push(...r.effects);
  }
  return { state, effects };
}
const withSessions = (...ss: ReturnType<typeof session>[]) =>
  run(ss.map((s, i) => ({ type: "event", event: sessionEvent(i + 1, s), now: at }) as ConsoleAction));

describe("key bindings", () => {
  const waiting = withSessions(session("a", "waiting"));

  it("maps session shortcuts to daemon requests for the selected session", () => {
    for (const [key, type] of [["s", "start"], ["h", "hold"], ["r", "resume"], ["l", "log"]] as const) {
      expect(press(waiting, key).effects).toEqual([{ type, id: "a" }]);
    }
  });

  it("asks before ending, and ends only on y", () => {
    const asked = press(waiting, "e");
    expect(asked.effects).toEqual([]);
    expect(asked.state.ui.confirmEnd).toBe("a");
    expect(press(asked.state, "y").effects).toEqual([{ type: "end", id: "a" }]);
    const kept = press(asked.state, "n");
    expect(kept.effects).toEqual([]);
    expect(kept.state.ui.confirmEnd).toBeNull();
    expect(kept.state.ui.notice?.text).toBe("kept the session");
  });

  it("says transfer and invite are not available yet instead of ignoring them", () => {
    expect(press(waiting, "t").state.ui.notice).toEqual({ kind: "info", text: "transfer: not available yet" });
    expect(press(waiting, "i").state.ui.notice).toEqual({ kind: "info", text: "invite: not available yet" });
  });

  it("explains that a session must be selected first", () => {
    const { state, effects } = press(initialConsoleState(at), "s");
    expect(effects).toEqual([]);
    expect(state.ui.notice?.kind).toBe("error");
  });

  it("quits on q and Ctrl-C, but q typed into the chat is text", () => {
    expect(press(waiting, "q").effects).toEqual([{ type: "quit" }]);
    expect(interpretKey(waiting, "c", { ctrl: true }).effects).toEqual([{ type: "quit" }]);
    const typing = press(waiting, "c", "q", "u", "i", "t");
    expect(typing.effects).toEqual([]);
    expect(typing.state.ui.chatDraft).toBe("quit");
    expect(interpretKey(typing.state, "c", { ctrl: true }).effects).toEqual([{ type: "quit" }]);
  });

  it("sends a trimmed chat line on Enter and closes the input when sent", () => {
    const typed = press(waiting, "c", " hello ", { backspace: true }, "!");
    expect(typed.state.ui.chatDraft).toBe(" hello!");
    const sent = press(typed.state, { return: true });
    expect(sent.effects).toEqual([{ type: "chat", id: "a", text: "hello!" }]);
    expect(press(typed.state, { escape: true }).state.ui.chatDraft).toBeNull();
    expect(press(press(waiting, "c").state, { return: true }).effects).toEqual([]);
  });

  it("toggles mute from the state the stats report", () => {
    const active = withSessions(session("a", "active"));
    expect(press(active, "m").effects).toEqual([{ type: "mute", id: "a", mute: true }]);
    const muted = run([{ type: "stats/loaded", id: "a", stats: { video: { codec: null, width: null, height: null, frames: 0, fps: 0, bitrateKbps: 0, packetsLost: 0, packetsRecovered: 0 }, audio: { codec: null, packets: 0, packetsLost: 0, sentPackets: 0, muted: true } } }], active);
    expect(press(muted, "m").effects).toEqual([{ type: "mute", id: "a", mute: false }]);
  });

  it("opens and closes help; q still quits from it", () => {
    const help = press(waiting, "?");
    expect(help.state.ui.view).toBe("help");
    expect(press(help.state, "s").effects).toEqual([]);
    expect(press(help.state, { escape: true }).state.ui.view).toBe("main");
    expect(press(help.state, "?").state.ui.view).toBe("main");
    expect(press(help.state, "q").effects).toEqual([{ type: "quit" }]);
  });

  it("drives the new session dialog: fields, choice, typing q as text, validation, create", () => {
    let { state } = press(waiting, "n");
    expect(state.ui.view).toBe("new");
    ({ state } = press(state, { rightArrow: true }, { tab: true }, "q", "i", { downArrow: true }, " "));
    expect(state.dialog).toMatchObject({ type: "desktop", name: "qi", method: "sms", focus: "method" });
    const invalid = press(state, { return: true });
    expect(invalid.effects).toEqual([]);
    expect(invalid.state.dialog.error).toBe("enter a phone number");
    const done = press(state, { tab: true }, "+31612345678", { return: true });
    expect(done.effects).toEqual([
      { type: "create", request: { type: "desktop", mode: "view", name: "qi", method: "sms", to: "+31612345678", language: "en" } },
    ]);
    expect(done.state.dialog.phase).toBe("creating");
  });

  it("offers another PIN once created, and closes on Enter or Esc", () => {
    const created = run([{ type: "dialog/open" }, { type: "dialog/created", session: session("n", "connecting") }], waiting);
    expect(press(created, "a").effects).toEqual([{ type: "regenerate", id: "n" }]);
    expect(press(created, { return: true }).state.ui.view).toBe("main");
    expect(press(created, { escape: true }).state.ui.view).toBe("main");
  });

  it("scrolls and closes the log view", () => {
    const log = run(
      [
        { type: "log/open", id: "a" },
        { type: "log/loaded", id: "a", entries: [{ at: "2026-01-01T10:00:00.000Z", event: "created" }, { at: "2026-01-01T10:00:01.000Z", event: "pin-issued" }] },
      ],
      waiting,
    );
    expect(press(log, { downArrow: true }, { downArrow: true }, { downArrow: true }).state.ui.log?.scroll).toBe(1);
    expect(press(log, { upArrow: true }).state.ui.log?.scroll).toBe(0);
    expect(press(log, "l").state.ui.view).toBe("main");
  });

  it("moves the selection with arrows and j/k", () => {
    const two = withSessions(session("a", "active", { createdAt: "2026-01-01T10:00:00.000Z" }), session("b", "active", { createdAt: "2026-01-01T10:01:00.000Z" }));
    expect(press(two, { downArrow: true }).state.sessions.selectedId).toBe("b");
    expect(press(two, "j", "k").state.sessions.selectedId).toBe("a");
  });
});

describe("splitChunk", () => {
  it("reads a pasted chunk as its text and then Enter, line by line", () => {
    expect(splitChunk("hello\r", {})).toEqual([
      ["hello", {}],
      ["", { return: true }],
    ]);
    expect(splitChunk("a\r\nb", {})).toEqual([
      ["a", {}],
      ["", { return: true }],
      ["b", {}],
    ]);
  });

  it("leaves single keys and control chords alone", () => {
    expect(splitChunk("q", {})).toEqual([["q", {}]]);
    expect(splitChunk("\r", { return: true })).toEqual([["\r", { return: true }]]);
    expect(splitChunk("c", { ctrl: true })).toEqual([["c", { ctrl: true }]]);
  });
});

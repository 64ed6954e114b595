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

  it("opens transfer on a live session and invite only on an Active or Collaborating one", () => {
    const t = press(waiting, "t").state;
    expect(t.ui.view).toBe("transfer");
    expect(t.transfer).toMatchObject({ sessionId: "a", phase: "form", to: "" });
    const refused = press(waiting, "i").state;
    expect(refused.ui.view).toBe("main");
    expect(refused.ui.notice).toEqual({ kind: "error", text: "invite: start the session first (invitations are for Active sessions)" });
    for (const status of ["active", "collaborating"] as const) {
      const opened = press(withSessions(session("b", status)), "i").state;
      expect(opened.ui.view).toBe("invite");
      expect(opened.invite?.sessionId).toBe("b");
    }
    const ended = press(withSessions(session("c", "closed")), "t").state;
    expect(ended.ui.view).toBe("main");
    expect(ended.ui.notice?.text).toBe("transfer: the session has ended");
  });

  it("invites from the dialog: kind, address, permission toggles, comment, Enter", () => {
    const active = withSessions(session("a", "active"));
    let r = press(active, "i", { return: true });
    expect(r.effects).toEqual([]);
    expect(r.state.invite?.error).toBe("enter the technician's email address");
    // internal: kind, to, permissions, comment
    r = press(r.state, { tab: true }, ..."bob@example.com".split(""), { tab: true }, { rightArrow: true }, { rightArrow: true }, " ", { leftArrow: true }, " ");
    expect(r.state.invite?.permissions).toEqual(["view", "talk"]);
    r = press(r.state, { tab: true }, ..."router issue".split(""), { return: true });
    expect(r.effects).toEqual([
      { type: "invite", id: "a", request: { kind: "internal", via: "email", to: "bob@example.com", permissions: ["view", "talk"], comment: "router issue" } },
    ]);
    expect(r.state.invite?.phase).toBe("sending");
    // Keys while sending do nothing; Esc closes the dialog.
    expect(press(r.state, "x").state.invite).toEqual(r.state.invite);
    expect(press(r.state, { escape: true }).state.invite).toBeNull();
  });

  it("invites an external technician by link with no address", () => {
    const active = withSessions(session("a", "active"));
    const r = press(active, "i", { rightArrow: true }, { tab: true }, { rightArrow: true }, { rightArrow: true }, { return: true });
    expect(r.effects).toEqual([{ type: "invite", id: "a", request: { kind: "external", via: "link", permissions: ["view", "chat"] } }]);
  });

  it("transfers to a typed address, refusing a malformed one without asking the daemon", () => {
    const active = withSessions(session("a", "active"));
    let r = press(active, "t", ..."bob".split(""), { return: true });
    expect(r.effects).toEqual([]);
    expect(r.state.transfer?.error).toBe("not an email address: bob");
    r = press(r.state, ..."@example.com".split(""), { return: true });
    expect(r.effects).toEqual([{ type: "transfer", id: "a", to: "bob@example.com" }]);
    expect(r.state.transfer?.phase).toBe("sending");
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

  it("opens and closes help; q closes it, as it closes the log, and quits only from the main screen", () => {
    const help = press(waiting, "?");
    expect(help.state.ui.view).toBe("help");
    expect(press(help.state, "s").effects).toEqual([]);
    expect(press(help.state, { escape: true }).state.ui.view).toBe("main");
    expect(press(help.state, "?").state.ui.view).toBe("main");
    const closed = press(help.state, "q");
    expect(closed.effects).toEqual([]);
    expect(closed.state.ui.view).toBe("main");
    const log = press(waiting, "l");
    expect(log.state.ui.view).toBe("log");
    expect(press(log.state, "q").state.ui.view).toBe("main");
    expect(press(log.state, "q").effects).toEqual([]);
    expect(press(closed.state, "q").effects).toEqual([{ type: "quit" }]);
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

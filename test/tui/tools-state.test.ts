import { describe, expect, it } from "vitest";
import { footerLines } from "../../src/tui/layout.js";
import { collaboratorsReducer } from "../../src/tui/state/collaborators.js";
import { initialConsoleState } from "../../src/tui/state/console.js";
import { interpretKey } from "../../src/tui/state/keys.js";
import { timelineSummary } from "../../src/tui/state/recordings.js";
import { session } from "./make.js";

describe("session tools: pure parts", () => {
  it("sums a timeline up by kind, most frequent first", () => {
    expect(timelineSummary([])).toBe("no events");
    expect(timelineSummary([{ atMs: 1, kind: "chat", text: "a" }])).toBe("1 event: chat 1");
    const kinds = ["hold", "chat", "annotation", "chat", "annotation", "chat"];
    expect(timelineSummary(kinds.map((kind, i) => ({ atMs: i, kind, text: "" })))).toBe("6 events: chat 3, annotation 2, hold 1");
  });

  it("toggles the permission under the cursor on a draft, leaving the session's own list alone", () => {
    let d = collaboratorsReducer(null, { type: "collaborators/open", id: "s1", first: "i1" });
    d = collaboratorsReducer(d, { type: "collaborators/cursor", delta: -1 });
    const current = ["view", "chat"] as const;
    d = collaboratorsReducer(d, { type: "collaborators/toggle", current: [...current] });
    expect(d!.draft).toEqual(["view", "chat", "record"]);
    d = collaboratorsReducer(d, { type: "collaborators/cursor", delta: 1 });
    d = collaboratorsReducer(d, { type: "collaborators/toggle", current: [...current] });
    expect(d!.draft).toEqual(["chat", "record"]);
    expect(collaboratorsReducer(d, { type: "collaborators/select", collaboratorId: "i2" })!.draft).toBeNull();
    expect(collaboratorsReducer(d, { type: "view/close" })).toBeNull();
  });

  it("shows the tool keys in the footer only where they need no extra line", () => {
    expect(footerLines(200)).toHaveLength(1);
    expect(footerLines(200)[0]).toContain("R recordings");
    for (const cols of [60, 70, 80, 100, 120, 160]) {
      const lines = footerLines(cols);
      for (const line of lines) expect(line.length).toBeLessThanOrEqual(cols);
      expect(lines.length).toBeLessThanOrEqual(3);
    }
  });

  it("leaves the Lens live-picture keys alone: w, T and R open tools, a, c, e and digits keep their meaning", () => {
    const state = initialConsoleState(Date.now());
    const s = session("s1", "active");
    const withSession = { ...state, daemon: { ...state.daemon, technician: "ann@example.com" }, sessions: { ...state.sessions, byId: { s1: s }, selectedId: "s1" } };
    expect(interpretKey(withSession, "R", {}).effects).toEqual([{ type: "show-recordings", id: "s1" }]);
    expect(interpretKey(withSession, "T", {}).actions).toEqual([{ type: "talk/open", id: "s1" }]);
    expect(interpretKey(withSession, "e", {}).actions).toEqual([{ type: "confirm-end/ask", id: "s1" }]);
    for (const k of ["1", "9", "E", " "]) expect(interpretKey(withSession, k, {})).toEqual({ actions: [], effects: [] });
  });
});

import { describe, expect, it } from "vitest";
import type { ConsoleAction } from "../../src/tui/state/actions.js";
import { dialogFields, dialogReducer, dialogRequest, initialDialog, type DialogState } from "../../src/tui/state/dialog.js";
import { session } from "./make.js";

const run = (actions: ConsoleAction[], from: DialogState = initialDialog) => actions.reduce(dialogReducer, from);
const type = (text: string): ConsoleAction => ({ type: "dialog/input", text });

describe("new session dialog reducer", () => {
  it("starts on a Lens session by PIN with the type field focused", () => {
    expect(dialogRequest(initialDialog)).toEqual({ ok: true, request: { type: "lens", mode: "view", method: "pin", language: "en" } });
    expect(initialDialog.focus).toBe("type");
  });

  it("cycles type and method both ways, wrapping around", () => {
    const d = run([{ type: "dialog/cycle", delta: 1 }]);
    expect(d.type).toBe("desktop");
    expect(run([{ type: "dialog/cycle", delta: 1 }], d).type).toBe("lens");
    const m = run([{ type: "dialog/focus", delta: 2 }, { type: "dialog/cycle", delta: -1 }]);
    expect(m.focus).toBe("method");
    expect(m.method).toBe("link");
  });

  it("asks for a phone number only for SMS and an address only for email", () => {
    const sms = run([{ type: "dialog/focus", delta: 2 }, { type: "dialog/cycle", delta: 1 }]);
    expect(sms.method).toBe("sms");
    expect(dialogFields(sms)).toEqual(["type", "name", "method", "to"]);
    expect(dialogRequest(sms)).toEqual({ ok: false, error: "enter a phone number" });
    const email = run([{ type: "dialog/cycle", delta: 1 }], sms);
    expect(dialogRequest(email)).toEqual({ ok: false, error: "enter an email address" });
    expect(dialogFields(run([{ type: "dialog/cycle", delta: 1 }], email))).toEqual(["type", "name", "method"]);
  });

  it("types into the focused text field only, with backspace", () => {
    let d = run([type("ignored on a choice field")]);
    expect(d.name).toBe("");
    d = run([{ type: "dialog/focus", delta: 1 }, type("Bob"), type(" Sm"), { type: "dialog/backspace" }], d);
    expect(d.name).toBe("Bob S");
    d = run([{ type: "dialog/focus", delta: 1 }, { type: "dialog/cycle", delta: 1 }, { type: "dialog/focus", delta: 1 }, type("+3161\n2345678")], d);
    expect(d.focus).toBe("to");
    expect(dialogRequest(d)).toEqual({
      ok: true,
      request: { type: "lens", mode: "view", method: "sms", name: "Bob S", to: "+31612345678", language: "en" },
    });
  });

  it("wraps focus over the fields present", () => {
    expect(run([{ type: "dialog/focus", delta: -1 }]).focus).toBe("method");
    expect(run([{ type: "dialog/focus", delta: 3 }]).focus).toBe("type");
  });

  it("leaves the phone number out of a PIN request even if one was typed before switching", () => {
    const d: DialogState = { ...initialDialog, method: "pin", to: "+31612345678" };
    expect(dialogRequest(d)).toEqual({ ok: true, request: { type: "lens", mode: "view", method: "pin", language: "en" } });
  });

  it("shows the created session, keeps it on a failed new PIN, and returns to the form when creating failed", () => {
    const created = run([{ type: "dialog/submitting" }, { type: "dialog/created", session: session("n", "connecting") }]);
    expect(created.phase).toBe("created");
    const again = run([{ type: "dialog/again" }, { type: "dialog/failed", error: "boom" }], created);
    expect(again.phase).toBe("created");
    expect(again.error).toBe("boom");
    const failed = run([{ type: "dialog/submitting" }, { type: "dialog/failed", error: "not permitted" }]);
    expect(failed.phase).toBe("form");
    expect(failed.error).toBe("not permitted");
  });

  it("takes a new PIN for the shown session from session updates", () => {
    const created = run([{ type: "dialog/created", session: session("n", "connecting", { pin: "111111" }) }]);
    const updated = run([{ type: "session/updated", session: session("n", "connecting", { pin: "222222" }) }], created);
    expect(updated.session?.pin).toBe("222222");
    const other = run([{ type: "session/updated", session: session("x", "connecting", { pin: "333333" }) }], updated);
    expect(other.session?.pin).toBe("222222");
  });

  it("ignores edits while creating and opens fresh each time", () => {
    const busy = run([{ type: "dialog/focus", delta: 1 }, type("A"), { type: "dialog/submitting" }, type("B"), { type: "dialog/cycle", delta: 1 }]);
    expect(busy.name).toBe("A");
    expect(run([{ type: "dialog/open" }], busy)).toEqual(initialDialog);
  });
});

import { describe, expect, it } from "vitest";
import { Invitation, InviteResponse, type DaemonEvent } from "../../src/protocol/index.js";
import type { ConsoleAction } from "../../src/tui/state/actions.js";
import { consoleReducer, initialConsoleState } from "../../src/tui/state/console.js";
import { inviteFields, inviteReducer, inviteRequest, newInvite, type InviteState } from "../../src/tui/state/invite.js";
import { transferReducer, transferTarget, type TransferState } from "../../src/tui/state/transfer.js";
import { invitationNotice } from "../../src/tui/state/ui.js";
import { session } from "./make.js";

const runInvite = (actions: ConsoleAction[], from: InviteState | null = newInvite("s1")) => actions.reduce(inviteReducer, from)!;
const runTransfer = (actions: ConsoleAction[], from: TransferState | null = null) => actions.reduce(transferReducer, from)!;
const now = Date.parse("2026-01-01T10:00:00.000Z");

const invitation = (over: Partial<Invitation> = {}) =>
  Invitation.parse({
    id: "i1",
    sessionId: "s9",
    sessionName: "Router at Jansen",
    from: "bob@example.com",
    kind: "internal",
    via: "email",
    approved: false,
    to: "ann@example.com",
    permissions: ["view", "chat"],
    comment: null,
    status: "pending",
    pin: "771203",
    expiresAt: "2026-01-01T10:20:00.000Z",
    createdAt: "2026-01-01T10:00:00.000Z",
    ...over,
  });
const invitationEvent = (id: number, inv: Invitation): ConsoleAction => ({
  type: "event",
  event: { id, at: "2026-01-01T10:00:00.000Z", type: "invitation", invitation: inv } satisfies DaemonEvent,
  now,
});

describe("invite dialog reducer", () => {
  it("asks for the way to send only for external technicians", () => {
    const internal = newInvite("s1");
    expect(inviteFields(internal)).toEqual(["kind", "to", "permissions", "comment"]);
    const external = runInvite([{ type: "invite/cycle", delta: 1 }]);
    expect(external.kind).toBe("external");
    expect(inviteFields(external)).toEqual(["kind", "via", "to", "permissions", "comment"]);
  });

  it("needs an address for internal and external-by-email invitations, not for PIN or link", () => {
    expect(inviteRequest(newInvite("s1"))).toEqual({ ok: false, error: "enter the technician's email address" });
    const external = runInvite([{ type: "invite/cycle", delta: 1 }]);
    expect(inviteRequest(external)).toEqual({ ok: true, request: { kind: "external", via: "pin", permissions: ["view", "chat"] } });
    const byEmail = runInvite([{ type: "invite/focus", delta: 1 }, { type: "invite/cycle", delta: 1 }], external);
    expect(byEmail.via).toBe("email");
    expect(inviteRequest(byEmail)).toEqual({ ok: false, error: "enter the technician's email address" });
    const typed = runInvite([{ type: "invite/focus", delta: 1 }, { type: "invite/input", text: "not-an-address" }], byEmail);
    expect(inviteRequest(typed)).toEqual({ ok: false, error: "not an email address: not-an-address" });
  });

  it("toggles permissions under the cursor and sends them in protocol order", () => {
    const d = runInvite([
      { type: "invite/focus", delta: 2 },
      { type: "invite/cycle", delta: -1 }, // record
      { type: "invite/toggle" },
      { type: "invite/cycle", delta: 1 }, // wraps to view
      { type: "invite/toggle" },
      { type: "invite/toggle" }, // and back on
      { type: "invite/cycle", delta: 1 },
      { type: "invite/toggle" }, // chat off
    ]);
    expect(d.focus).toBe("permissions");
    expect(d.permissions).toEqual(["record", "view"]);
    const withTo = { ...d, to: "bob@example.com" };
    expect(inviteRequest(withTo)).toMatchObject({ ok: true, request: { permissions: ["view", "record"] } });
    // Toggling does nothing unless the permissions field has focus.
    expect(runInvite([{ type: "invite/toggle" }]).permissions).toEqual(["view", "chat"]);
  });

  it("types the address without spaces and the comment with them, into the focused field only", () => {
    const d = runInvite([
      { type: "invite/input", text: "ignored on a choice" },
      { type: "invite/focus", delta: 1 },
      { type: "invite/input", text: "bob@" },
      { type: "invite/input", text: " " },
      { type: "invite/input", text: "example.comx" },
      { type: "invite/backspace" },
      { type: "invite/focus", delta: -2 }, // wraps back to comment
      { type: "invite/input", text: "look at\nthe router" },
    ]);
    expect(d.to).toBe("bob@example.com");
    expect(d.comment).toBe("look atthe router");
    expect(d.focus).toBe("comment");
  });

  it("shows the refusal on the form, keeps what was typed, and shows the result after success", () => {
    const filled = runInvite([{ type: "invite/focus", delta: 1 }, { type: "invite/input", text: "zed@example.com" }, { type: "invite/sending" }]);
    expect(filled.phase).toBe("sending");
    const refused = runInvite([{ type: "invite/failed", error: "no technician zed@example.com in your organisation" }], filled);
    expect(refused).toMatchObject({ phase: "form", to: "zed@example.com", error: "no technician zed@example.com in your organisation" });
    const response = InviteResponse.parse({ invitation: invitation({ sessionId: "s1" }), pin: "771203" });
    const sent = runInvite([{ type: "invite/sent", response }], refused);
    expect(sent).toMatchObject({ phase: "sent", error: null, result: response });
    // The form no longer changes once sent.
    expect(runInvite([{ type: "invite/input", text: "x" }], sent)).toBe(sent);
    expect(runInvite([{ type: "view/close" }], sent)).toBeNull();
  });
});

describe("transfer dialog reducer", () => {
  it("opens empty for a session, takes an address, and checks it before sending", () => {
    let d = runTransfer([{ type: "transfer/open", id: "s1" }]);
    expect(transferTarget(d)).toEqual({ ok: false, error: "enter the technician's email address" });
    d = runTransfer([{ type: "transfer/input", text: "bob@exa mple.comm" }, { type: "transfer/backspace" }], d);
    expect(d.to).toBe("bob@example.com");
    expect(transferTarget(d)).toEqual({ ok: true, to: "bob@example.com" });
  });

  it("shows a refusal in place and the new holder after success", () => {
    const sending = runTransfer([{ type: "transfer/open", id: "s1" }, { type: "transfer/input", text: "carol@example.com" }, { type: "transfer/sending" }]);
    const refused = runTransfer([{ type: "transfer/failed", error: "carol@example.com is not online" }], sending);
    expect(refused).toMatchObject({ phase: "form", to: "carol@example.com", error: "carol@example.com is not online" });
    const moved = session("s1", "active", { technician: "bob@example.com" });
    expect(runTransfer([{ type: "transfer/done", session: moved }], refused)).toMatchObject({ phase: "done", result: moved, error: null });
  });
});

describe("invitations addressed to me", () => {
  it("announces a pending invitation with who, where, permissions and the PIN to join, once", () => {
    const inv = invitation({ comment: "second pair of eyes" });
    const state = consoleReducer(initialConsoleState(now), invitationEvent(1, inv));
    expect(state.ui.invitation).toEqual(inv);
    expect(state.ui.notice).toEqual({
      kind: "info",
      text: 'bob@example.com invites you to Router at Jansen: J joins (PIN 771203) · view, chat · "second pair of eyes"',
    });
    // The same invitation replayed after a reconnect does not come back once dismissed.
    const cleared = consoleReducer(state, { type: "notice/clear" });
    expect(consoleReducer(cleared, invitationEvent(1, inv)).ui.notice).toBeNull();
  });

  it("stays quiet about invitations already used or expired", () => {
    const used = consoleReducer(initialConsoleState(now), invitationEvent(1, invitation({ status: "joined", pin: null })));
    expect(used.ui.notice).toBeNull();
    expect(used.ui.invitation).toBeNull();
    const expired = consoleReducer(initialConsoleState(now), invitationEvent(1, invitation({ expiresAt: "2026-01-01T09:59:00.000Z" })));
    expect(expired.ui.notice).toBeNull();
    expect(invitationNotice(invitation({ pin: null, permissions: [] }))).toBe("bob@example.com invites you to Router at Jansen · no permissions");
  });
});

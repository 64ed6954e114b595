import { describe, expect, it } from "vitest";
import { ChatMessage, SessionStats } from "../../src/protocol/index.js";
import { formatBitrate, formatBytes, formatElapsed, formatLoss, fit } from "../../src/tui/format.js";
import { footerLines, layout, tooSmall } from "../../src/tui/layout.js";
import type { ConsoleAction } from "../../src/tui/state/actions.js";
import { CHAT_HISTORY_LIMIT, chatReducer, type ChatState } from "../../src/tui/state/chat.js";
import { daemonReducer, initialDaemon } from "../../src/tui/state/daemon.js";
import { mediaReducer } from "../../src/tui/state/media.js";
import { CHAT_MAX, initialUi, uiReducer } from "../../src/tui/state/ui.js";

const msg = (text: string, at: string, from: ChatMessage["from"] = "customer") =>
  ChatMessage.parse({ sessionId: "a", from, author: from === "customer" ? "Bob" : "ann@example.com", text, at });
const stats = (muted = false) =>
  SessionStats.parse({
    video: { codec: "VP8", width: 640, height: 480, frames: 300, fps: 30, bitrateKbps: 900, packetsLost: 2, packetsRecovered: 1 },
    audio: { codec: "opus", packets: 500, packetsLost: 5, sentPackets: 0, muted },
    recording: { path: "/r/a.webm", bytes: 2048 },
  });

describe("chat reducer", () => {
  it("keeps history per session in time order and one copy of a sent message that also comes back as an event", () => {
    const sent = msg("hi", "2026-01-01T10:00:02.000Z", "technician");
    const actions: ConsoleAction[] = [
      { type: "event", now: 0, event: { id: 1, at: "2026-01-01T10:00:03.000Z", type: "chat", message: msg("hello", "2026-01-01T10:00:03.000Z") } },
      { type: "chat/sent", message: sent },
      { type: "event", now: 0, event: { id: 2, at: sent.at, type: "chat", message: sent } },
    ];
    const s = actions.reduce(chatReducer, {} as ChatState);
    expect(s.a?.map((m) => m.text)).toEqual(["hi", "hello"]);
  });

  it("caps the history", () => {
    let s: ChatState = {};
    for (let i = 0; i < CHAT_HISTORY_LIMIT + 5; i++) {
      s = chatReducer(s, { type: "chat/sent", message: msg(`m${i}`, new Date(Date.UTC(2026, 0, 1, 10, 0, i)).toISOString()) });
    }
    expect(s.a).toHaveLength(CHAT_HISTORY_LIMIT);
    expect(s.a?.[0]?.text).toBe("m5");
  });
});

describe("media reducer", () => {
  it("knows the recording path from start before stats arrive, then follows stats", () => {
    let s = mediaReducer({}, { type: "session/started", response: { id: "a", status: "active", recording: "/r/a.webm" } });
    expect(s.a).toEqual({ stats: null, error: null, recording: "/r/a.webm" });
    s = mediaReducer(s, { type: "stats/failed", id: "a", error: "no media yet" });
    expect(s.a?.error).toBe("no media yet");
    s = mediaReducer(s, { type: "stats/loaded", id: "a", stats: stats() });
    expect(s.a?.error).toBeNull();
    expect(s.a?.stats?.video.fps).toBe(30);
    s = mediaReducer(s, { type: "audio/muted", id: "a", muted: true });
    expect(s.a?.stats?.audio.muted).toBe(true);
    expect(mediaReducer({}, { type: "audio/muted", id: "zz", muted: true })).toEqual({});
  });
});

describe("daemon reducer", () => {
  const status = {
    pid: 1,
    version: "1",
    startedAt: "2026-01-01T10:00:00.000Z",
    home: "/h",
    server: "http://s",
    technician: "ann@example.com",
    backend: { state: "reconnecting" as const, since: "2026-01-01T10:00:00.000Z", lastError: "refused" },
  };
  it("tracks reachability, the technician and the backend connection", () => {
    let s = daemonReducer(initialDaemon, { type: "daemon/up", status, sessions: [], restarted: false });
    expect(s).toMatchObject({ reachable: true, technician: "ann@example.com", backend: "reconnecting", backendError: "refused" });
    s = daemonReducer(s, { type: "event", now: 0, event: { id: 1, at: status.startedAt, type: "backend", state: "connected" } });
    expect(s.backend).toBe("connected");
    expect(s.backendError).toBeNull();
    s = daemonReducer(s, { type: "daemon/down", error: "connect ENOENT" });
    expect(s).toMatchObject({ reachable: false, error: "connect ENOENT", technician: "ann@example.com" });
    // A request that failed as unavailable while the stream still delivers is corrected by the next event.
    s = daemonReducer(s, { type: "event", now: 0, event: { id: 2, at: status.startedAt, type: "media", sessionId: "a", event: "pli" } });
    expect(s).toMatchObject({ reachable: true, error: null });
  });
});

describe("ui reducer", () => {
  it("tells the technician when a session's live PIN was refused for the customer's network", () => {
    const event = { id: 3, at: "2026-01-01T00:00:00.000Z", type: "media" as const, sessionId: "s1", event: "pin-refused-network" };
    const s = uiReducer(initialUi, { type: "event", now: 0, event });
    expect(s.notice).toEqual({ kind: "error", text: expect.stringMatching(/^session s1: the customer's PIN was refused: their network is blocked/) });
    expect(uiReducer(initialUi, { type: "event", now: 0, event: { ...event, event: "pli" } }).notice).toBeNull();
  });
  it("ignores a log answer for a session no longer shown", () => {
    const open = uiReducer(initialUi, { type: "log/open", id: "a" });
    expect(uiReducer(open, { type: "log/loaded", id: "b", entries: [] })).toBe(open);
    expect(uiReducer(open, { type: "log/failed", id: "a", error: "gone" }).log?.error).toBe("gone");
  });
  it("caps a chat draft at what the protocol accepts", () => {
    const s = uiReducer(uiReducer(initialUi, { type: "chat-draft/open" }), { type: "chat-draft/input", text: "x".repeat(CHAT_MAX + 10) });
    expect(s.chatDraft).toHaveLength(CHAT_MAX);
    expect(uiReducer(initialUi, { type: "chat-draft/input", text: "x" }).chatDraft).toBeNull();
  });
  it("drops a half-typed chat line and a pending end when the selection moves", () => {
    const s = uiReducer({ ...initialUi, chatDraft: "half", confirmEnd: "a" }, { type: "select/move", delta: 1 });
    expect(s.chatDraft).toBeNull();
    expect(s.confirmEnd).toBeNull();
  });
});

describe("format", () => {
  it("formats elapsed time, sizes, bitrates and loss", () => {
    expect(formatElapsed(-5)).toBe("0s");
    expect(formatElapsed(45_900)).toBe("45s");
    expect(formatElapsed(184_000)).toBe("3m 04s");
    expect(formatElapsed(7_500_000)).toBe("2h 05m");
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(300 * 1024 * 1024)).toBe("300 MiB");
    expect(formatBitrate(850.4)).toBe("850 kbit/s");
    expect(formatBitrate(1250)).toBe("1.25 Mbit/s");
    expect(formatLoss(0, 0)).toBe("0 (0.0%)");
    expect(formatLoss(5, 495)).toBe("5 (1.0%)");
    expect(fit("abcdef", 4)).toBe("abc…");
    expect(fit("ab", 4)).toBe("ab  ");
  });
});

describe("layout", () => {
  it("fits everything one row short of the terminal and packs the footer to the width", () => {
    for (const [cols, rows] of [[80, 24], [120, 40], [60, 15]] as const) {
      for (const banner of [false, true]) {
        const l = layout(cols, rows, 30, banner);
        const used = 1 + (banner ? 1 : 0) + 1 + l.listRows + 1 + l.detailRows + 1 + l.footer.length;
        expect(used).toBe(rows - 1);
        expect(l.overlayRows).toBe(1 + l.listRows + 1 + l.detailRows);
        expect(l.detailRows).toBeGreaterThanOrEqual(6);
        for (const line of l.footer) expect(line.length).toBeLessThanOrEqual(cols);
      }
    }
    expect(footerLines(200)).toHaveLength(1);
    expect(footerLines(80).length).toBeGreaterThan(1);
    expect(layout(80, 24, 2, false).listRows).toBe(2);
    expect(layout(80, 24, 0, false).listRows).toBe(1);
    expect(layout(120, 40, 2, false).wide).toBe(true);
  });

  it("gives the live picture a 4:3 area in half-block pixels inside the detail pane, or none when it is too small", () => {
    for (const [cols, rows] of [[80, 24], [120, 40], [160, 45], [200, 60]] as const) {
      const l = layout(cols, rows, 2, false);
      const p = l.picture!;
      expect(p.rows).toBeLessThanOrEqual(l.detailRows);
      expect(p.cols).toBeLessThanOrEqual(Math.floor(cols * 0.35));
      // Two pixel rows per cell: cols / (2 * rows) is 4:3 within a row's rounding.
      expect(Math.abs(p.cols / (2 * p.rows) - 4 / 3)).toBeLessThan(0.1);
    }
    expect(tooSmall(59, 24) && tooSmall(80, 14) && !tooSmall(60, 15)).toBe(true);
  });
});

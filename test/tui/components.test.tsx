import { render } from "ink-testing-library";
import { afterEach, describe, expect, it } from "vitest";
import { cleanup } from "ink-testing-library";
import { SessionStats } from "../../src/protocol/index.js";
import { DetailPane } from "../../src/tui/components/DetailPane.js";
import { Header } from "../../src/tui/components/Header.js";
import { LogView } from "../../src/tui/components/LogView.js";
import { MediaStats } from "../../src/tui/components/MediaStats.js";
import { NewSessionDialog } from "../../src/tui/components/NewSessionDialog.js";
import { SessionList, visibleWindow } from "../../src/tui/components/SessionList.js";
import { initialDaemon } from "../../src/tui/state/daemon.js";
import { initialDialog } from "../../src/tui/state/dialog.js";
import { session } from "./make.js";
import { clockTime } from "../../src/tui/format.js";

afterEach(cleanup);

const stats = (over: Partial<SessionStats["audio"]> = {}) =>
  SessionStats.parse({
    video: { codec: "H264", width: 640, height: 360, frames: 10, fps: 12.5, bitrateKbps: 300, packetsLost: 0, packetsRecovered: 0 },
    audio: { codec: "opus", packets: 95, packetsLost: 5, sentPackets: 40, muted: false, ...over },
  });

describe("components", () => {
  it("keeps the selected row in view when the list is longer than its rows", () => {
    expect(visibleWindow(3, 2, 5)).toEqual([0, 3]);
    expect(visibleWindow(20, 0, 5)).toEqual([0, 5]);
    expect(visibleWindow(20, 10, 5)).toEqual([8, 13]);
    expect(visibleWindow(20, 19, 5)).toEqual([15, 20]);
    const list = Array.from({ length: 20 }, (_, i) => session(`s${i}`, "active", { name: `Person ${i}` }));
    const { lastFrame } = render(<SessionList sessions={list} selectedId="s17" fresh={[]} now={Date.parse("2026-01-01T10:00:30.000Z")} rows={4} columns={80} />);
    const frame = lastFrame() ?? "";
    expect(frame).toContain("> Person 17");
    expect(frame).toContain("16-19 of 20");
    expect(frame).not.toContain("Person 3 ");
    expect(frame).toMatch(/Person 17\s+Lens\s+Active\s+-\s+30s/);
  });

  it("marks a session whose customer dropped off AWAY with the time it is aborted unless they are back", () => {
    const until = "2026-01-01T10:01:45.000Z";
    const away = session("a", "active", { name: "Ann", customer: { camera: true, microphone: true, eulaAcceptedAt: "2026-01-01T10:00:05.000Z", away: { since: "2026-01-01T10:00:15.000Z", until } } });
    const { lastFrame } = render(<SessionList sessions={[away]} selectedId={null} fresh={[]} now={Date.parse("2026-01-01T10:00:30.000Z")} rows={4} columns={80} />);
    expect(lastFrame()).toMatch(new RegExp(`Ann\\s+Lens\\s+AWAY ${clockTime(until)}`));
  });

  it("marks only the session whose customer is away, and no ended one", () => {
    const away = { since: "2026-01-01T10:00:10.000Z", until: "2026-01-01T10:02:10.000Z" };
    const customer = { camera: true, microphone: true, eulaAcceptedAt: "2026-01-01T09:59:00.000Z" };
    const list = [
      session("a", "active", { name: "Away Ann", customer: { ...customer, away } }),
      session("b", "active", { name: "Here Bob", customer: { ...customer, away: null } }),
      session("c", "aborted", { name: "Gone Gus", customer: { ...customer, away } }),
    ];
    const { lastFrame } = render(<SessionList sessions={list} selectedId="b" fresh={[]} now={Date.parse("2026-01-01T10:00:30.000Z")} rows={4} columns={80} />);
    const frame = lastFrame() ?? "";
    expect(frame).toMatch(new RegExp(`Away Ann\\s+Lens\\s+AWAY ${clockTime(away.until)}`));
    expect(frame).toMatch(/Here Bob\s+Lens\s+Active\s+-/);
    expect(frame).not.toMatch(/Gone Gus.*AWAY/);
  });

  it("shows a failed SMS with the carrier's reason after creating", () => {
    const s = session("n", "connecting", {
      name: "Bob",
      pin: "654321",
      method: "sms",
      delivery: { channel: "sms", to: "+31600000000", status: "failed", reason: "number unreachable" },
    });
    const { lastFrame } = render(<NewSessionDialog dialog={{ ...initialDialog, phase: "created", session: s }} />);
    expect(lastFrame()).toContain("PIN 654321");
    expect(lastFrame()).toContain("SMS to +31600000000 failed: number unreachable");
    expect(lastFrame()).toContain("a create another PIN");
  });

  it("says when an SMS only reached the outbox, and when the carrier reports it delivered", () => {
    const queued = session("q", "connecting", { pin: "111333", method: "sms", delivery: { channel: "sms", to: "+31600000001", status: "queued" } });
    const { lastFrame, rerender } = render(<DetailPane session={queued} media={undefined} chat={[]} chatDraft={null} rows={8} wide={false} />);
    expect(lastFrame()).toContain("No SMS carrier configured: the SMS to +31600000001 is in the outbox");
    const delivered = { ...queued, delivery: { channel: "sms" as const, to: "+31600000001", status: "delivered" as const, carrierStatus: "delivered" } };
    rerender(<DetailPane session={delivered} media={undefined} chat={[]} chatDraft={null} rows={8} wide={false} />);
    expect(lastFrame()).toContain("SMS delivered to +31600000001");
    const mail = { ...queued, method: "email" as const, delivery: { channel: "email" as const, to: "ann@example.test", status: "queued" as const } };
    rerender(<NewSessionDialog dialog={{ ...initialDialog, phase: "created", session: mail }} />);
    expect(lastFrame()).toContain("No email carrier configured: the email to ann@example.test is in the outbox");
  });

  it("shows media figures, a muted microphone, loss as a share, and a stats error in place", () => {
    const { lastFrame, rerender } = render(<MediaStats media={{ stats: stats({ muted: true }), error: null, recording: null }} />);
    expect(lastFrame()).toContain("Video H264  640x360  12.5 fps  300 kbit/s");
    expect(lastFrame()).toContain("audio 5 (5.0%)");
    expect(lastFrame()).toContain("talk MUTED");
    expect(lastFrame()).toContain("Rec   not recording");
    rerender(<MediaStats media={{ stats: null, error: "session s1 has no media (on-hold)", recording: "/r/s1.webm" }} />);
    expect(lastFrame()).toContain("stats: session s1 has no media (on-hold)");
    expect(lastFrame()).toContain("Rec   /r/s1.webm");
  });

  it("tells what to give the customer while connecting", () => {
    const s = session("n", "connecting", {
      pin: "111222",
      links: { desktop: "http://h/?code=111222", mobile: "http://h/m/111222", pinEntry: "http://h/pin" },
    });
    const { lastFrame } = render(<DetailPane session={s} media={undefined} chat={[]} chatDraft={null} rows={6} wide={false} />);
    expect(lastFrame()).toContain("PIN 111222 — waiting for the customer to join");
    expect(lastFrame()).toContain("Mobile link   http://h/m/111222");
  });

  it("pages through a long log and shows a failed load", () => {
    const entries = Array.from({ length: 30 }, (_, i) => ({ at: new Date(Date.UTC(2026, 0, 1, 10, 0, i)).toISOString(), event: "chat" as const, text: `line ${i}` }));
    const { lastFrame, rerender } = render(<LogView log={{ sessionId: "a", entries, error: null, scroll: 10 }} title="Bob" rows={7} />);
    expect(lastFrame()).toContain("11-15 of 30");
    expect(lastFrame()).toContain("chat text=line 10");
    expect(lastFrame()).not.toContain("line 9\n");
    rerender(<LogView log={{ sessionId: "a", entries: null, error: "no session a", scroll: 0 }} title="a" rows={7} />);
    expect(lastFrame()).toContain("Error: no session a");
  });

  it("says how the daemon and its server connection stand", () => {
    const { lastFrame, rerender } = render(<Header daemon={initialDaemon} />);
    expect(lastFrame()).toContain("reaching the daemon…");
    rerender(<Header daemon={{ ...initialDaemon, reachable: true, technician: "ann@example.com", backend: "reconnecting" }} />);
    expect(lastFrame()).toContain("ann@example.com");
    expect(lastFrame()).toContain("server reconnecting");
  });
});

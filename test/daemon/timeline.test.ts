import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { finaliseOrphanRecordings } from "../../daemon/session/recording-finaliser.js";
import { Timeline, parseTimelineVtt, timelinePathFor, timelineVtt, vttTime, type TimelineEntry } from "../../daemon/session/timeline.js";
import { timelineItemsOf } from "../../daemon/session/timeline-feed.js";
import type { Session } from "../../src/protocol/index.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function folder(): string {
  const d = mkdtempSync(join(tmpdir(), "rescue-tl-"));
  dirs.push(d);
  return d;
}

/** The cues as ffmpeg's webvtt demuxer reads them: start and end (s), and the payload. */
function ffmpegCues(vttPath: string): { start: number; end: number; text: string }[] {
  const out = execFileSync("ffprobe", ["-v", "error", "-f", "webvtt", "-show_packets", "-show_data", "-of", "json", vttPath], { encoding: "utf8" });
  const packets = (JSON.parse(out) as { packets?: { pts_time: string; duration_time: string; data: string }[] }).packets ?? [];
  return packets.map((p) => ({
    start: Number(p.pts_time),
    end: Number(p.pts_time) + Number(p.duration_time),
    // `-show_data` prints a hex dump: "00000000: 7b22 6174 ...  {"at..." — the hex columns are the bytes.
    text: Buffer.from(
      p.data
        .split("\n")
        .map((l) => l.slice(10, 50).replace(/\s/g, ""))
        .join(""),
      "hex",
    ).toString("utf8"),
  }));
}

const HOSTILE = 'hello --> 00:00:09.000 --> 00:00:10.000\n\nWEBVTT\n<b>&amp; <c.x>boom</c>\u2028 & <script>';

describe("timeline WebVTT", () => {
  it("is read by ffmpeg's webvtt demuxer cue by cue, times and payloads intact, even with a customer's hostile chat", () => {
    const dir = folder();
    const entries: TimelineEntry[] = [
      { atMs: 5_200, kind: "chat", text: `customer: ${HOSTILE}`, detail: { from: "customer", author: "Ann", text: HOSTILE } },
      { atMs: 0, kind: "segment", text: "segment 1 starts", detail: { segment: 1 } },
      { atMs: 3_725_040, kind: "freeze", text: "by tech@example.com" },
    ];
    const path = join(dir, "x.vtt");
    const text = timelineVtt(entries);
    writeFileSync(path, text);
    // The attack must not make a cue of its own nor end one early: no line but a timing line holds "-->", no raw "<" or "&".
    const arrows = text.split("\n").filter((l) => l.includes("-->"));
    expect(arrows).toHaveLength(3);
    for (const l of arrows) expect(l).toMatch(/^\d{2}:\d{2}:\d{2}\.\d{3} --> \d{2}:\d{2}:\d{2}\.\d{3}$/);
    expect(text).not.toMatch(/[<&]/);
    expect(text.split("\n\n").filter((block) => block.includes("-->"))).toHaveLength(3); // no blank line inside a cue

    const cues = ffmpegCues(path);
    expect(cues.map((c) => c.start)).toEqual([0, 5.2, 3725.04]);
    expect(cues[1]!.end).toBeCloseTo(7.2, 3);
    const back = cues.map((c) => JSON.parse(c.text) as TimelineEntry);
    expect(back[1]).toEqual(entries[0]); // the hostile text comes back byte for byte
    expect(parseTimelineVtt(text)).toEqual([entries[1], entries[0], entries[2]]);
  });

  it("formats WebVTT times with hours", () => {
    expect(vttTime(0)).toBe("00:00:00.000");
    expect(vttTime(65_200)).toBe("00:01:05.200");
    expect(vttTime(3_600_000 + 1)).toBe("01:00:00.001");
  });

  it("stamps entries with the recording's clock, writes them beside the recording 0600 soon after, and all of them on close", async () => {
    const dir = folder();
    const recording = join(dir, "s1-2026-11-30T07-12-00-000Z.webm");
    let clock: number | undefined;
    const tl = new Timeline(recording, () => clock);
    tl.add("segment", "segment 1 starts"); // before the first frame: at 0
    clock = 5_234.6;
    tl.add("chat", "customer: hi\r\nthere");
    await new Promise((r) => setTimeout(r, 1000));
    const vtt = timelinePathFor(recording);
    expect(vtt).toBe(join(dir, "s1-2026-11-30T07-12-00-000Z.vtt"));
    expect(statSync(vtt).mode & 0o777).toBe(0o600);
    expect(parseTimelineVtt(readFileSync(vtt, "utf8"))).toEqual([
      { atMs: 0, kind: "segment", text: "segment 1 starts" },
      { atMs: 5_235, kind: "chat", text: "customer: hi there" },
    ]);
    clock = 9_000;
    tl.add("hold", "put on hold");
    const all = await tl.close();
    expect(all.map((e) => e.kind)).toEqual(["segment", "chat", "hold"]);
    expect(parseTimelineVtt(readFileSync(vtt, "utf8"))).toHaveLength(3);
    expect(tl.add("resume", "late")).toBeUndefined();
    expect(readdirSync(dir)).toEqual(["s1-2026-11-30T07-12-00-000Z.vtt"]); // no temporary file left
  });

  it("keeps its entries and reports, without throwing, when the .vtt cannot be written", async () => {
    const dir = folder();
    const errors: Error[] = [];
    const tl = new Timeline(join(dir, "gone", "r.webm"), () => 100, (e) => {
      errors.push(e);
      throw new Error("a listener that fails");
    });
    tl.add("chat", "customer: hi");
    const all = await tl.close();
    expect(all).toEqual([{ atMs: 100, kind: "chat", text: "customer: hi" }]);
    expect(errors.map((e) => (e as NodeJS.ErrnoException).code)).toEqual(["ENOENT"]);
  });

  it("gives a crash-left recording's manifest the timeline saved beside it, and the technician and customer its segment entry names", async () => {
    const dir = folder();
    const name = "sess_4-2026-11-30T07-12-00-000Z";
    const then = new Date(Date.now() - 60_000);
    writeFileSync(join(dir, `${name}.webm`), "not a webm", { mode: 0o600 });
    utimesSync(join(dir, `${name}.webm`), then, then);
    const entries: TimelineEntry[] = [
      { atMs: 0, kind: "segment", text: "segment 1 starts", detail: { segment: 1, technician: "t@example.com", customerName: "Ann <b>" } },
      { atMs: 1200, kind: "freeze", text: "by t@example.com", detail: { by: "t@example.com" } },
    ];
    writeFileSync(join(dir, `${name}.vtt`), timelineVtt(entries), { mode: 0o600 });
    const log = { info: () => undefined, warn: () => undefined, error: () => undefined };
    const [done] = await finaliseOrphanRecordings({ dir, isLive: () => false, log });
    expect(done!.manifest.timeline).toEqual(entries);
    // Who the recording is of comes back from the segment entry, as a clean close would have written it.
    expect(done!.manifest).toMatchObject({ technician: "t@example.com", customerName: "Ann <b>" });
    expect(JSON.parse(readFileSync(join(dir, `${name}.json`), "utf8")).timeline).toEqual(entries);
  });
});

describe("timelineItemsOf", () => {
  const session = (over: Partial<Session>): Session => ({ id: "s1", status: "active", collaborators: [], ...over }) as Session;

  it("turns hold/resume and collaborators joining and leaving into entries, names as the lead's log shows them", () => {
    const ext = { id: "inv1", technician: "ext@partner.example", external: true, permissions: [], joinedAt: new Date().toISOString() };
    const joined = timelineItemsOf({ type: "session", session: session({ status: "collaborating", collaborators: [ext] }) } as never, session({}));
    expect(joined.map((i) => [i.kind, i.text])).toEqual([["collaborator-joined", "ext@partner.example joined (external)"]]);
    const held = timelineItemsOf({ type: "session", session: session({ status: "on-hold" }) } as never, session({ collaborators: [ext] }));
    expect(held.map((i) => i.kind)).toEqual(["hold", "collaborator-left"]);
    const resumed = timelineItemsOf({ type: "session", session: session({ status: "active" }) } as never, session({ status: "on-hold" }));
    expect(resumed.map((i) => i.kind)).toEqual(["resume"]);
  });

  it("takes chat both ways and media events, leaving out local paths and the recording's own bookkeeping", () => {
    const chat = (from: string, author: string) =>
      timelineItemsOf({ type: "chat", message: { sessionId: "s1", from, author, text: "hello", at: new Date().toISOString() } } as never, undefined);
    expect(chat("customer", "Ann Smith")[0]!.text).toBe("customer: hello");
    expect(chat("technician", "t@example.com")[0]!.text).toBe("t@example.com: hello");
    const snap = timelineItemsOf({ type: "media", sessionId: "s1", event: "snapshot", detail: { width: 640, height: 480, path: "/home/t/x.png" } } as never, undefined);
    expect(snap).toEqual([{ sessionId: "s1", kind: "snapshot", text: "width=640 height=480", detail: { width: 640, height: 480 } }]);
    expect(timelineItemsOf({ type: "media", sessionId: "s1", event: "recording-started", detail: { path: "/x" } } as never, undefined)).toEqual([]);
    const zoom = timelineItemsOf({ type: "media", sessionId: "s1", event: "camera", detail: { action: "zoom", level: 2, by: "t@x", applied: false, reason: "no zoom" } } as never, undefined);
    expect(zoom[0]!.text).toBe("zoom level=2 by t@x (not applied: no zoom)");
  });
});

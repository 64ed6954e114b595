import { execFileSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SessionStats, type RecordingDetail } from "../../src/protocol/index.js";
import { rescue } from "../helpers/cli.js";
import { finishedRecording, lensSuite, statsWhen } from "../helpers/lens.js";
import { localRequest, tapEvents } from "../helpers/localapi.js";

/**
 * The timeline beside a recording, with the real server, daemon and simulated customer: what the
 * technician does lands on the recording's own clock, judged against the frames in the file.
 */
const api = async <T>(home: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> => {
  const res = await localRequest(home, method, path, body === undefined ? {} : { body });
  return { status: res.status, json: (res.text ? JSON.parse(res.text) : null) as T };
};

const statsOf = async (home: string, id: string) => SessionStats.parse((await api(home, "GET", `/api/v1/sessions/${id}/stats`)).json);

/** Each video packet's time in the file, s, in order (VP8 has no reordering). */
function videoTimes(path: string): number[] {
  const out = execFileSync("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time", "-of", "csv=p=0", path], { encoding: "utf8" });
  return out.split("\n").filter(Boolean).map(Number);
}

type Cue = { start: number; entry: { atMs: number; kind: string; text: string; detail?: Record<string, unknown> } };

/** The .vtt as ffmpeg's webvtt demuxer reads it: each cue's start and its JSON payload. */
function cues(vttPath: string): Cue[] {
  const out = execFileSync("ffprobe", ["-v", "error", "-f", "webvtt", "-show_packets", "-show_data", "-of", "json", vttPath], { encoding: "utf8" });
  const packets = (JSON.parse(out) as { packets?: { pts_time: string; data: string }[] }).packets ?? [];
  return packets.map((p) => ({
    start: Number(p.pts_time),
    entry: JSON.parse(Buffer.from(p.data.split("\n").map((l) => l.slice(10, 50).replace(/\s/g, "")).join(""), "hex").toString("utf8")),
  }));
}

/** Retries a Lens action until the page's Lens channel is open (it opens with the media). */
async function lens(home: string, id: string, body: unknown): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await api<{ message?: string }>(home, "POST", `/api/v1/sessions/${id}/lens`, body);
    if (res.status === 200) return;
    if (Date.now() > deadline) throw new Error(`lens ${JSON.stringify(body)}: ${res.status} ${JSON.stringify(res.json)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("the recording's timeline", { timeout: 240_000 }, () => {
  const suite = lensSuite();

  it("puts a chat at second 5 on the frame recorded then, shows annotation, freeze, hold and resume, and gives a segment after a daemon restart its own clock", async () => {
    const { home, session, tech } = await suite.start({ seconds: 180 });
    const id = session.id;
    const started = await rescue(home, ["session", "start", id, "--json"]);
    expect(started.code, started.stderr).toBe(0);
    await statsWhen(home, id, (s) => (s.recording?.frames ?? 0) > 0, 30_000);

    // Second 5 of the recording: the frames written before and after the chat bracket its moment.
    let before: SessionStats;
    for (;;) {
      before = await statsOf(home, id);
      if ((before.recording?.frames ?? 0) >= 150) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const tap = tapEvents(home, null);
    await tap.opened;
    const sent = await api(home, "POST", `/api/v1/sessions/${id}/chat`, { text: "look at the <red> light --> & tell me" });
    expect(sent.status).toBe(200);
    await tap.until((evs) => evs.some((e) => e.type === "chat"), 10_000);
    const after = await statsOf(home, id);
    tap.close();

    await lens(home, id, { action: "draw", shape: { kind: "circle", x: 0.5, y: 0.5, r: 0.1 }, color: "red" });
    await lens(home, id, { action: "freeze" });
    await lens(home, id, { action: "unfreeze" });
    expect((await api(home, "POST", `/api/v1/sessions/${id}/hold`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await api(home, "POST", `/api/v1/sessions/${id}/resume`)).status).toBe(200);
    await statsWhen(home, id, (s) => (s.recording?.frames ?? 0) > (after.recording?.frames ?? 0) + 30, 30_000);

    // A restart: the first segment is finalised, the next one recorded after adoption.
    expect((await rescue(home, ["daemon", "stop", "--json"])).code).toBe(0);
    const first = await finishedRecording(home, id);
    expect((await rescue(home, ["daemon", "start", "--json"])).code).toBe(0);
    const second = await statsWhen(home, id, (s) => (s.recording?.frames ?? 0) > 60 && s.recording?.path !== first.path, 45_000);
    expect((await api(home, "POST", `/api/v1/sessions/${id}/chat`, { text: "second segment" })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1000));
    expect((await rescue(home, ["session", "end", id, "--json"])).code).toBe(0);
    const secondPath = second.recording!.path;
    await expect.poll(() => statSync(secondPath.replace(/\.webm$/, ".json"), { throwIfNoEntry: false }) !== undefined, { timeout: 20_000 }).toBe(true);

    // Segment 1, judged against its own frames.
    const vtt1 = first.path.replace(/\.webm$/, ".vtt");
    expect(statSync(vtt1).mode & 0o777).toBe(0o600);
    const c1 = cues(vtt1);
    const times = videoTimes(first.path);
    const [n1, n2] = [before.recording!.frames!, after.recording!.frames!];
    const chat = c1.find((c) => c.entry.kind === "chat")!;
    expect(chat.entry.text).toMatch(/: look at the <red> light --> & tell me$/);
    console.log(`chat sent between frames ${n1} (${times[n1]} s) and ${n2} (${times[n2]} s) of the recording; cue at ${chat.start} s`);
    expect(times[n1]).toBeGreaterThan(4.5);
    expect(chat.start).toBeGreaterThanOrEqual(times[n1]! - 0.2);
    expect(chat.start).toBeLessThanOrEqual(times[n2]! + 0.2);
    expect(chat.start).toBeCloseTo(chat.entry.atMs / 1000, 3);
    const kinds = c1.map((c) => c.entry.kind);
    for (const k of ["segment", "chat", "annotation", "freeze", "unfreeze", "hold", "resume"]) expect(kinds).toContain(k);
    const at = (k: string) => c1.find((c) => c.entry.kind === k)!.start;
    expect(at("annotation")).toBeGreaterThan(chat.start);
    expect(at("hold")).toBeLessThan(at("resume"));
    expect(at("resume")).toBeLessThanOrEqual(times.at(-1)! + 0.5);
    const manifest1 = JSON.parse(readFileSync(first.path.replace(/\.webm$/, ".json"), "utf8")) as { timeline: { kind: string }[] };
    expect(manifest1.timeline.map((e) => e.kind)).toEqual(kinds);

    // Segment 2: its own timeline from its own start.
    const c2 = cues(secondPath.replace(/\.webm$/, ".vtt"));
    // It names the technician (and the customer), for the manifest of a segment a crash leaves.
    expect(c2[0]!.entry).toMatchObject({ kind: "segment", text: "segment 2 starts", detail: { segment: 2, technician: tech.email, customerName: "Ann" } });
    const chat2 = c2.find((c) => c.entry.kind === "chat")!;
    expect(chat2.entry.text).toMatch(/second segment$/);
    expect(c2.some((c) => c.entry.text.includes("look at the"))).toBe(false);
    expect(chat2.start).toBeLessThanOrEqual(videoTimes(secondPath).at(-1)! + 0.5);

    // `recordings show` prints it, and has it in --json.
    const shown = await rescue(home, ["recordings", "show", id]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^00:0[4-6]\.\d {2}chat {2}\S+: look at the <red> light --> & tell me$/m);
    expect(shown.stdout).toMatch(/^\d\d:\d\d\.\d {2}freeze {2}/m);
    const json = (await rescue(home, ["recordings", "show", id, "--json"])).json<RecordingDetail[]>();
    expect(json).toHaveLength(2);
    expect(json[1]!.manifest!.timeline!.some((e) => e.kind === "chat" && e.text.endsWith("second segment"))).toBe(true);
  });
});

import { describe, expect, it } from "vitest";
import { SegmentLog } from "../../daemon/session/segment-log.js";

const later = <T>(ms: number, value: T) => new Promise<T>((r) => setTimeout(() => r(value), ms));

describe("a session's segment events in the log", () => {
  it("a segment that takes long to finalise (its connection died) is logged as stopped before the next one, started meanwhile, is logged as started", async () => {
    const log = new SegmentLog();
    const written: string[] = [];
    // Segment 1 started; its connection died and it is being finalised (slowly); the customer's new
    // offer was answered meanwhile and segment 2 started.
    await log.queue("s1", Promise.resolve(), () => written.push("recording-started 1"));
    const stopped1 = log.queue("s1", later(300, "seg-1.webm"), (path) => written.push(`recording-stopped 1 ${path}`));
    const started2 = log.queue("s1", Promise.resolve(), () => written.push("recording-started 2"));
    // Another session is not held up by this one.
    await log.queue("s2", Promise.resolve(), () => written.push("other session"));
    expect(written).toEqual(["recording-started 1", "other session"]);
    await Promise.all([stopped1, started2]);
    expect(written).toEqual(["recording-started 1", "other session", "recording-stopped 1 seg-1.webm", "recording-started 2"]);
  });

  it("a segment whose finalising failed is skipped, the next one still logged; a failing write does not stop the queue", async () => {
    const errors: string[] = [];
    const log = new SegmentLog((e) => errors.push(e.message));
    const written: string[] = [];
    const failed = Promise.reject(new Error("close failed"));
    failed.catch(() => undefined);
    void log.queue("s1", failed, () => written.push("never"));
    void log.queue("s1", Promise.resolve(), () => {
      throw new Error("not connected");
    });
    await log.queue("s1", Promise.resolve(), () => written.push("recording-started 2"));
    expect(written).toEqual(["recording-started 2"]);
    expect(errors).toEqual(["not connected"]);
  });

  it("while the start-up sweep finalises what a killed daemon left, segment events wait for its reports; release() lets them go at shutdown", async () => {
    const log = new SegmentLog();
    const written: string[] = [];
    let reportKilled!: () => void;
    log.holdUntil(new Promise<void>((r) => (reportKilled = () => (written.push("recording-stopped (killed segment)"), r()))));
    const started = log.queue("s1", Promise.resolve(), () => written.push("recording-started (adopted segment)"));
    await later(100, undefined);
    expect(written).toEqual([]);
    reportKilled();
    await started;
    expect(written).toEqual(["recording-stopped (killed segment)", "recording-started (adopted segment)"]);

    const held = new SegmentLog();
    held.holdUntil(new Promise(() => undefined));
    const stopping = held.queue("s1", Promise.resolve(), () => written.push("recording-stopped at shutdown"));
    held.release();
    await stopping;
    expect(written.at(-1)).toBe("recording-stopped at shutdown");
  });
});

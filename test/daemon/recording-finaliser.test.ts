import { createHash, randomBytes } from "node:crypto";
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CRASHED_RECORDING, finaliseOrphanRecordings } from "../../daemon/session/recording-finaliser.js";
import { listRecordings, recordingName } from "../../daemon/session/recordings.js";
import type { Logger } from "../../daemon/log.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function folder(): string {
  const d = mkdtempSync(join(tmpdir(), "rescue-fin-"));
  dirs.push(d);
  return d;
}

function logger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
}

/** A file last written a minute ago, as a crash leaves it. */
function oldFile(path: string, data: Buffer | string): void {
  writeFileSync(path, data, { mode: 0o600 });
  const then = new Date(Date.now() - 60_000);
  utimesSync(path, then, then);
}

const NAME = "sess_9-2026-11-30T07-12-00-000Z";

describe("finaliseOrphanRecordings", () => {
  it("gives a file it cannot read a manifest with its size and hash only, duration null, atomically and 0600", async () => {
    const dir = folder();
    const data = randomBytes(10_000);
    oldFile(join(dir, `${NAME}.webm`), data);
    writeFileSync(join(dir, `${NAME}.json.999999999.tmp`), '{"session":'); // a daemon died writing it
    const log = logger();
    const done = await finaliseOrphanRecordings({ dir, isLive: () => false, log });
    expect(done).toHaveLength(1);
    const manifestPath = join(dir, `${NAME}.json`);
    expect(JSON.parse(readFileSync(manifestPath, "utf8"))).toMatchObject({
      session: "sess_9",
      file: `${NAME}.webm`,
      startedAt: "2026-11-30T07:12:00.000Z",
      codecs: { video: null, audio: null },
      frames: { video: 0, audio: 0 },
      durationMs: null,
      bytes: 10_000,
      sha256: createHash("sha256").update(data).digest("hex"),
      complete: false,
      error: CRASHED_RECORDING,
    });
    expect(statSync(manifestPath).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).sort()).toEqual([`${NAME}.json`, `${NAME}.webm`]); // no temporary file, old or new
    expect(log.lines.join("\n")).toMatch(/could not be read/);
  });

  it("leaves alone a file this daemon writes, one another process still writes, and one with a manifest; replaces a torn manifest", async () => {
    const dir = folder();
    const live = join(dir, "live_1-2026-11-30T07-12-00-000Z.webm");
    oldFile(live, "recording");
    const kept = join(dir, "kept_1-2026-11-30T07-12-00-000Z.webm");
    oldFile(kept, "recording");
    const keptManifest = '{"session":"kept_1"}\n';
    writeFileSync(kept.replace(/\.webm$/, ".json"), keptManifest);
    const torn = join(dir, "torn_1-2026-11-30T07-12-00-000Z.webm");
    oldFile(torn, "recording");
    writeFileSync(torn.replace(/\.webm$/, ".json"), '{"session":"to');
    const growing = join(dir, "grow_1-2026-11-30T07-12-00-000Z.webm");
    writeFileSync(growing, "x");
    const writer = setInterval(() => appendFileSync(growing, "more"), 50);
    try {
      const log = logger();
      const done = await finaliseOrphanRecordings({ dir, isLive: (p) => p === live, log, quietMs: 500 });
      expect(done.map((d) => d.path)).toEqual([torn]);
      expect(log.lines.join("\n")).toMatch(/grow_1.*left alone: it is still being written/);
    } finally {
      clearInterval(writer);
    }
    expect(existsSync(live.replace(/\.webm$/, ".json"))).toBe(false);
    expect(existsSync(growing.replace(/\.webm$/, ".json"))).toBe(false);
    expect(readFileSync(kept.replace(/\.webm$/, ".json"), "utf8")).toBe(keptManifest);
    expect(JSON.parse(readFileSync(torn.replace(/\.webm$/, ".json"), "utf8"))).toMatchObject({ session: "torn_1", complete: false });
  });

  it("removes an empty file a stopped daemon opened for a connection that brought no media, with its timeline", async () => {
    const dir = folder();
    oldFile(join(dir, `${NAME}-2.webm`), Buffer.alloc(0));
    oldFile(join(dir, `${NAME}-2.vtt`), Buffer.from("WEBVTT\n"));
    oldFile(join(dir, `${NAME}.webm`), randomBytes(100));
    const log = logger();
    const done = await finaliseOrphanRecordings({ dir, isLive: () => false, log });
    expect(done.map((d) => d.path.split("/").pop())).toEqual([`${NAME}.webm`]);
    expect(readdirSync(dir).sort()).toEqual([`${NAME}.json`, `${NAME}.webm`]);
    expect(log.lines.join("\n")).toMatch(/was empty/);
  });

  it("finds nothing to do in a folder that does not exist", async () => {
    expect(await finaliseOrphanRecordings({ dir: join(folder(), "none"), isLive: () => false, log: logger() })).toEqual([]);
  });
});

describe("recordingName", () => {
  it("tells a later segment, whose name carries the first segment's stamp, from the first", () => {
    expect(recordingName("k7m2qd9xw4hbte-2026-11-30T10-21-40-331Z.webm")).toEqual({
      session: "k7m2qd9xw4hbte",
      startedAt: new Date("2026-11-30T10:21:40.331Z"),
      segment: 1,
    });
    expect(recordingName("k7m2qd9xw4hbte-2026-11-30T10-21-40-331Z-3.webm")?.segment).toBe(3);
  });
});

describe("listRecordings", () => {
  it("lists a session's segments in the order they were recorded", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rescue-order-"));
    try {
      const first = "k7m2qd9xw4hbte-2026-11-30T10-21-40-331Z";
      for (const name of [`${first}-3.webm`, `${first}.webm`, `${first}-2.webm`]) writeFileSync(join(dir, name), "x");
      const listed = await listRecordings(dir, []);
      expect(listed.map((r) => r.path.split("/").pop())).toEqual([`${first}.webm`, `${first}-2.webm`, `${first}-3.webm`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

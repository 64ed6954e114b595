import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { rescue } from "../helpers/cli.js";
import { tapEvents } from "../helpers/localapi.js";
import { lensSuite, statsWhen } from "../helpers/lens.js";
import { ffprobe, frames } from "../media/helpers.js";

const isRoot = process.getuid?.() === 0;

/** The recordings disk fills up mid-session: a 400 KiB tmpfs holds about 6 s of the clip. */
describe.skipIf(!isRoot)("a recording disk that fills up (needs root to mount a tmpfs)", { timeout: 120_000 }, () => {
  const suite = lensSuite();
  let disk: string | undefined;

  afterEach(() => {
    if (disk) spawnSync("umount", [disk]);
    disk = undefined;
  });

  it("says so at once (event, log, stats), keeps the session going, and keeps and lists the partial file", async () => {
    const { home, session } = await suite.start({ seconds: 60 });
    disk = join(home, "recordings");
    mkdirSync(disk, { mode: 0o700 });
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=400k,mode=0700", "tmpfs", disk]);
    const tap = tapEvents(home, null);
    await tap.opened;
    const start = await rescue(home, ["session", "start", session.id, "--json"]);
    expect(start.code, start.stderr).toBe(0);

    const isError = (e: any) => e.type === "media" && e.event === "recording-error";
    const error = (await tap.until((evs) => evs.some(isError), 30_000)).find(isError);
    expect(error.detail.message).toMatch(/ENOSPC|no space/i);
    tap.close();

    const stats = await statsWhen(home, session.id, (s) => s.recording?.error !== undefined);
    expect(stats.recording!.error).toMatch(/ENOSPC|no space/i);
    expect((await rescue(home, ["session", "stats", session.id])).stdout).toMatch(/STOPPED: .*(ENOSPC|no space)/i);
    // The media goes on: frames keep arriving for the live view.
    const later = await statsWhen(home, session.id, (s) => s.video.frames > stats.video.frames + 30);
    expect(later.connection?.state).toBe("connected");
    const log = (await rescue(home, ["session", "log", session.id, "--json"])).json<Array<{ event: string; message?: string; path?: string }>>();
    const entry = log.find((e) => e.event === "recording-error");
    expect(entry?.message).toMatch(/ENOSPC|no space/i);
    expect(entry?.path).toBeUndefined();

    expect((await rescue(home, ["session", "end", session.id])).code).toBe(0);
    const listed = await vi.waitFor(
      async () => {
        const all = (await rescue(home, ["recordings", "list", "--json"])).json<Array<{ session: string; path: string; complete?: boolean }>>();
        const found = all.find((r) => r.session === session.id && r.complete === false);
        if (!found) throw new Error(`not listed as incomplete: ${JSON.stringify(all)}`);
        return found;
      },
      { timeout: 10_000, interval: 200 },
    );
    expect(listed.path.startsWith(disk)).toBe(true);
    // What reached the disk before it filled is a file players read.
    expect(frames(await ffprobe(listed.path), "video")).toBeGreaterThan(30);
  });
});

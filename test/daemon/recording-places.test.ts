import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { deleteRecordings, findRecordings } from "../../daemon/session/recording-files.js";
import { RecordingPlaces } from "../../daemon/session/recording-places.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "rescue-places-"));
  dirs.push(d);
  return d;
}

describe("recordings outside the recordings folder (--record-path)", () => {
  it("are remembered in a 0600 file across daemons, found by session and path, and forgotten once deleted", async () => {
    const home = tmp();
    const folder = join(home, "recordings");
    mkdirSync(folder, { mode: 0o700 });
    const cases = tmp();
    const file = join(cases, "visit.webm");
    writeFileSync(file, "webm bytes", { mode: 0o600 });
    writeFileSync(join(cases, "visit.vtt"), "WEBVTT\n", { mode: 0o600 });
    const store = join(home, "recording-places.json");
    new RecordingPlaces(store).add("k7m2qd9xw4hbte", file);
    expect(statSync(store).mode & 0o777).toBe(0o600);

    const places = new RecordingPlaces(store);
    const [found] = await findRecordings(folder, "k7m2qd9xw4hbte", [], places);
    expect(found).toMatchObject({ session: "k7m2qd9xw4hbte", path: file, bytes: 10, live: false, manifest: null, complete: false });
    expect((await findRecordings(folder, join(cases, "visit.vtt"), [], places)).map((r) => r.path)).toEqual([file]);
    // Another session's id, or a file beside it, never reaches it.
    await expect(findRecordings(folder, "zzzzzzzzzzzzzz", [], places)).rejects.toMatchObject({ code: "not_found" });
    writeFileSync(join(cases, "other.webm"), "mine");
    await expect(deleteRecordings(folder, join(cases, "other.webm"), [], places)).rejects.toMatchObject({ code: "forbidden" });

    expect((await deleteRecordings(folder, "k7m2qd9xw4hbte", [], places)).sort()).toEqual([file, join(cases, "visit.vtt")].sort());
    expect(JSON.parse(readFileSync(store, "utf8"))).toEqual([]);
    expect(readFileSync(join(cases, "other.webm"), "utf8")).toBe("mine");
  });

  it("attack: the recording's folder swapped for a symlink to another folder is not followed", async () => {
    const home = tmp();
    const cases = tmp();
    const visit = join(cases, "visit");
    mkdirSync(visit);
    const file = join(visit, "call.webm");
    writeFileSync(file, "webm bytes", { mode: 0o600 });
    const places = new RecordingPlaces(null);
    places.add("k7m2qd9xw4hbte", file);
    // Someone moves the folder away and leaves a link to theirs, holding a file of the same name.
    const victim = tmp();
    writeFileSync(join(victim, "call.webm"), "keep me");
    renameSync(visit, join(cases, "moved"));
    symlinkSync(victim, visit);
    await expect(deleteRecordings(home, "k7m2qd9xw4hbte", [], places)).rejects.toMatchObject({ code: "forbidden" });
    expect(readFileSync(join(victim, "call.webm"), "utf8")).toBe("keep me");
  });
});

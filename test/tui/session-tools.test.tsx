import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { InviteRequest } from "../../src/protocol/index.js";
import { consolePerTest } from "./console.js";
import { FakeDaemon } from "./fake-daemon.js";
import { KEYS } from "./terminal.js";


const open = consolePerTest({ columns: 100, rows: 30, wordwise: true });

let media: string;
beforeAll(() => {
  // mkdtemp makes the folder 0700; the recordings in it are 0600, as the daemon writes them.
  media = mkdtempSync(join(tmpdir(), "rescue-console-tools-"));
});
afterAll(() => rmSync(media, { recursive: true, force: true }));

function ffmpeg(...args: string[]): void {
  execFileSync("ffmpeg", ["-hide_banner", "-loglevel", "error", ...args, "-y"]);
}

/** An active session of mine with bob@example.com collaborating (view, chat). */
async function withCollaborator(d: FakeDaemon) {
  const s = d.seed("Bob", "active");
  await d.invite(s.id, InviteRequest.parse({ kind: "internal", to: "bob@example.com" }));
  d.collaboratorJoins(d.invitationsOf(s.id)[0]!.id);
  return s;
}

describe("console: collaborators (w)", () => {
  it("the lead changes a collaborator's permissions, then removes them after a y", async () => {
    const d = new FakeDaemon();
    const s = await withCollaborator(d);
    const t = open(d);
    await t.see(/Bob\s+Lens\s+Collaborating/);
    await t.type("w");
    await t.see("Collaborators of Bob");
    await t.see("> bob@example.com (internal)");
    expect(t.words()).toContain("›[x] view [x] chat [ ] talk [ ] annotate [ ] record");
    // Enter with nothing changed says so, and sends nothing.
    await t.type(KEYS.enter);
    await t.see("Error: nothing changed");
    await t.type(KEYS.right, KEYS.right, " ");
    await t.see("›[x] talk");
    await t.see("changed, Enter saves");
    await t.type(KEYS.enter);
    await t.see("bob@example.com may now: view, chat, talk");
    expect(d.calls).toContain(`setCollaborator ${s.id} i1 view,chat,talk`);
    // The ticks are now the session's own, as the daemon reports it: nothing left to save.
    await vi.waitFor(() => expect(t.words()).not.toContain("changed, Enter saves"));
    expect(t.words()).toContain("›[x] talk");

    await t.type("x");
    await t.see("Remove bob@example.com from Bob? y removes, any other key keeps them");
    await t.type("n");
    await vi.waitFor(() => expect(t.words()).not.toContain("Remove bob@example.com"));
    expect(d.calls.some((c) => c.startsWith("removeCollaborator"))).toBe(false);
    await t.type("x", "y");
    await t.see("removed bob@example.com from Bob (now active)");
    await t.see(/Bob\s+Lens\s+Active/);
    expect(d.calls).toContain(`removeCollaborator ${s.id} i1`);
  });

  it("is refused to a collaborator: only the lead can change or remove collaborators", async () => {
    const d = new FakeDaemon();
    const inv = d.invitedBy("lead@example.com", "Dora");
    const t = open(d);
    await t.see("J joins");
    await t.type("J");
    await t.see(/Dora\s+Lens\s+Collaborating/);
    await t.type("w");
    await t.see("Error: only the lead can change or remove collaborators (lead@example.com leads this session)");
    expect(t.words()).not.toContain("Collaborators of");
    // The daemon refuses too, whatever a console sends.
    await expect(d.setCollaborator(inv.sessionId, "ann@example.com", ["view", "chat", "talk"])).rejects.toThrow(/only the lead technician/);
  });

  it("says there is nobody to manage in a session without collaborators", async () => {
    const d = new FakeDaemon();
    d.seed("Eli", "active");
    const t = open(d);
    await t.see(/Eli\s+Lens\s+Active/);
    await t.type("w");
    await t.see("Error: collaborators: nobody else is in this session (i invites a technician)");
  });
});

describe("console: talk (T)", () => {
  it("plays an audio file to the customer, converting a WAV; switches the microphone and mute", async () => {
    const wav = join(media, "hello.wav");
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "1", wav);
    const d = new FakeDaemon();
    const s = d.seed("Fritz", "active");
    const t = open(d);
    await t.see(/Fritz\s+Lens\s+Active/);
    await t.type("T");
    await t.see("Talk to the customer of Fritz");
    await t.type(..."/nonexistent/hi.wav".split(""), KEYS.enter);
    await t.see("Error: /nonexistent/hi.wav: no such file");
    for (let i = 0; i < "/nonexistent/hi.wav".length; i++) await t.type(KEYS.backspace);
    await t.type(...wav.split(""), KEYS.enter);
    await t.see(`Playing ${wav}`, 20_000);
    await t.see(`playing ${wav} to the customer`);
    // What the daemon took: Ogg/Opus converted from the second of WAV (20 ms packets).
    expect(d.talked).toHaveLength(1);
    expect(d.talked[0]!.id).toBe(s.id);
    expect(d.talked[0]!.packets).toBeGreaterThanOrEqual(45);

    await t.type(KEYS.tab);
    await t.see(/> Microphone\s+off/);
    await t.type(KEYS.enter);
    await t.see(/> Microphone\s+on/);
    await vi.waitFor(() => expect(d.voices.has(`mic ${s.id}`)).toBe(true));
    await t.type(" ");
    await t.see(/> Microphone\s+off/);
    await vi.waitFor(() => expect(d.voices.has(`mic ${s.id}`)).toBe(false));

    await t.type(KEYS.tab);
    await t.see(/> Sending\s+unmuted/);
    await t.type(KEYS.enter);
    await t.see(/> Sending\s+muted/);
    expect(d.calls).toContain(`mute ${s.id}`);
    await t.type(KEYS.escape);
    await t.see(/Fritz\s+Lens\s+Active/);
  }, 40_000);

  it("is refused to a collaborator without the talk permission, and before the session runs", async () => {
    const d = new FakeDaemon();
    d.invitedBy("lead@example.com", "Gus");
    d.seed("Hana", "waiting");
    const t = open(d);
    await t.see("J joins");
    await t.type("J");
    await t.see(/Gus\s+Lens\s+Collaborating/);
    await t.see(/> Gus/);
    await t.type("T");
    await t.see("Error: talk: the lead (lead@example.com) has not given you the talk permission");
    expect(t.words()).not.toContain("Talk to the customer");
    await t.type("k");
    await t.see(/> Hana/);
    await t.type("T");
    await t.see("Error: talk: only in a running session");
  });

  it("shows the daemon's refusal of a file that is not audio", async () => {
    const junk = join(media, "junk.wav");
    execFileSync("sh", ["-c", `printf 'not audio' > '${junk}'`]);
    const d = new FakeDaemon();
    d.seed("Ida", "active");
    const t = open(d);
    await t.see(/Ida\s+Lens\s+Active/);
    await t.type("T", ...junk.split(""), KEYS.enter);
    await t.see(`Error: ${junk}: not audio that can be played`, 20_000);
    expect(d.talked).toEqual([]);
  }, 30_000);
});

describe("console: recordings (R)", () => {
  let recording: string;
  let player: string;

  beforeAll(() => {
    recording = join(media, "s1-2026-11-30T07-12-00-000Z.webm");
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=320x240:rate=15", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "1", "-c:v", "libvpx", "-b:v", "300k", "-c:a", "libopus", recording);
    chmodSync(recording, 0o600);
    // A PATH with only ffplay on it: mpv would be preferred where both are installed.
    player = mkdtempSync(join(tmpdir(), "rescue-player-"));
    symlinkSync(execFileSync("sh", ["-c", "command -v ffplay"], { encoding: "utf8" }).trim(), join(player, "ffplay"));
  });
  afterAll(() => rmSync(player, { recursive: true, force: true }));

  function manifest(path: string) {
    return {
      session: "s1",
      file: path.split("/").pop()!,
      startedAt: "2026-11-30T07:12:00.000Z",
      endedAt: "2026-11-30T07:12:01.000Z",
      codecs: { video: "vp8", audio: "opus" },
      frames: { video: 15, audio: 50 },
      width: 320,
      height: 240,
      video: { sizes: [{ width: 320, height: 240, frames: 15, fromMs: 0 }] },
      audio: { gaps: [] },
      durationMs: 1000,
      bytes: statSync(path).size,
      sha256: "0".repeat(64),
      complete: true,
      timeline: [
        { atMs: 200, kind: "chat", text: "customer: hello" },
        { atMs: 500, kind: "chat", text: "ann@example.com: hi" },
        { atMs: 800, kind: "hold", text: "on hold" },
      ],
    };
  }

  it("shows the path and timeline, opens it in the desktop player, and deletes it after a y", async () => {
    const d = new FakeDaemon();
    const s = d.seed("Jan", "closed");
    d.addRecording(s.id, { path: recording, bytes: statSync(recording).size, durationMs: 1000, live: false, complete: true, manifest: manifest(recording) });
    const env = { PATH: player, DISPLAY: ":99", SDL_VIDEODRIVER: "dummy", SDL_AUDIODRIVER: "dummy" };
    const t = open(d, 120, 30, env);
    await t.see(/Jan\s+Lens\s+Closed/);
    await t.type("R");
    await t.see("Recordings of Jan");
    await t.see(`Segment 1: ${recording}`);
    await t.see("0:01.0");
    await t.see("Timeline: 3 events: chat 2, hold 1");
    await t.see("00:00.2 chat customer: hello");

    await t.type("o");
    await t.see(`played ${recording} with ffplay`, 30_000);

    await t.type("d");
    await t.see("Delete this recording with manifests and timelines? y deletes, any other key keeps them");
    await t.type("n");
    await t.see("nothing deleted");
    expect(existsSync(recording)).toBe(true);
    await t.type("d", "y");
    await t.see(`deleted 1 file: ${recording}`);
    await t.see("No recordings of this session");
    expect(existsSync(recording)).toBe(false);
    expect(d.calls).toContain(`deleteRecordings ${s.id}`);
  }, 60_000);

  it("refuses to delete a recording being written, and says when a session has none", async () => {
    const d = new FakeDaemon();
    const live = d.seed("Kim", "active");
    const none = d.seed("Lou", "closed");
    d.addRecording(live.id, { path: join(media, "live.webm"), bytes: 1000, durationMs: null, live: true, manifest: null });
    const t = open(d);
    await t.see(/Kim\s+Lens\s+Active/);
    await t.see(/> Kim/);
    await t.type("R");
    await t.see(`Segment 1 (being recorded): ${join(media, "live.webm")}`);
    await t.see("Timeline: written when the recording ends");
    await t.type("d");
    await t.see("Error: delete: segment 1 is being recorded now; end the session first");
    expect(d.calls.some((c) => c.startsWith("deleteRecordings"))).toBe(false);
    await t.type(KEYS.escape);
    await t.see(/Lou\s+Lens\s+Closed/);
    await t.type("j", "R");
    await t.see("Recordings of Lou");
    await t.see("No recordings of this session");
    await t.type("d");
    await t.see("Error: delete: this session has no recording");
    expect(none.id).toBe("s2");
  });

  it("says in the open notice which players it looks for when none is installed", async () => {
    const d = new FakeDaemon();
    const s = d.seed("May", "closed");
    d.addRecording(s.id, { path: join(media, "gone.webm"), bytes: 10, durationMs: 1000, live: false, manifest: null });
    const t = open(d, 200, 30, { PATH: "/nonexistent", DISPLAY: ":99" });
    await t.see(/May\s+Lens\s+Closed/);
    await t.type("R");
    await t.see("Recordings of May");
    await t.type("o");
    await t.see("Error: open failed: no video player for open: install mpv or ffplay");
  });
});

describe("console: the new keys are in the help and, where there is room, the footer", () => {
  it("lists w, T and R in the help; a wide footer shows them", async () => {
    const d = new FakeDaemon();
    const t = open(d, 160, 40);
    await t.see("No sessions yet");
    expect(t.words()).toContain("w collaborators");
    expect(t.words()).toContain("T talk");
    expect(t.words()).toContain("R recordings");
    await t.type("?");
    await t.see("the lead changes a collaborator's permissions or removes them");
    await t.see("talk to the customer: play an audio file, microphone on/off, mute");
    await t.see("the selected session's recordings: paths, timeline; o plays, d deletes (asks y/n)");
    await t.see("?, q or Esc closes this help");
  });
});

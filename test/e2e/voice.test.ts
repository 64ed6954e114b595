import { execFileSync, spawn } from "node:child_process";
import { request } from "node:http";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { consoleClient } from "../../src/cli/console-client.js";
import { DaemonClient } from "../../src/cli/daemon/client.js";
import { dropHome, rescue, spawnRescue, type RescueProcess } from "../helpers/cli.js";
import { localRequest } from "../helpers/localapi.js";
import { dominantFrequency, pcmOf, startPrivatePulse, type PrivatePulse } from "../helpers/audio.js";
import { until } from "../helpers/counts.js";
import { heardPackets, statsWhen, waitingLensSession, type LensSetup } from "../helpers/lens.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { LOCALAPI_VERSION, LOCALAPI_VERSION_HEADER } from "../../src/protocol/index.js";
import { BUILD_TIMEOUT_MS, buildDist } from "../helpers/build.js";
import { ffprobe, tempDir } from "../media/helpers.js";
import { createElement } from "react";
import { App } from "../../src/tui/App.js";
import { renderAt } from "../tui/terminal.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The bundled clip's tone (the customer) and the tone the technician sends: each check tells them apart. */
const CUSTOMER_HZ = 440;
const TECHNICIAN_HZ = 1000;

/** Waits until a file exists and holds more than `bytes`. */
async function fileOver(path: string, bytes: number, timeoutMs: number, writer: RescueProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(existsSync(path) && statSync(path).size > bytes)) {
    if (Date.now() > deadline || writer.child.exitCode !== null) {
      throw new Error(`${path} did not grow over ${bytes} bytes (${existsSync(path) ? statSync(path).size : "no file"}); exit ${writer.child.exitCode}, stderr: ${writer.stderr()}`);
    }
    await sleep(50);
  }
}

/** A raw upload to the daemon's live-talk route. */
function uploadLive(home: string, id: string, body: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath: join(home, "run", "rescued.sock"), method: "POST", path: `/api/v1/sessions/${id}/talk/live`, headers: { [LOCALAPI_VERSION_HEADER]: LOCALAPI_VERSION } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** Buffer + device latency in ms of the PulseAudio streams (`sink-inputs` or `source-outputs`) whose properties match `name`. */
function pulseLatencyMs(env: Record<string, string>, kind: "sink-inputs" | "source-outputs", name: RegExp): number[] {
  const text = execFileSync("pactl", ["list", kind], { env: { ...process.env, ...env }, encoding: "utf8" });
  return text
    .split(/^(?:Sink Input|Source Output) #/m)
    .filter((block) => name.test(block))
    .map((block) => {
      const usec = [...block.matchAll(/(?:Buffer|Sink|Source) Latency: (\d+) usec/g)].map((m) => Number(m[1]));
      return usec.reduce((a, b) => a + b, 0) / 1000;
    });
}

/** The dominant of the two tones in an audio file, with the power of each and the zero-crossing estimate. */
async function toneOf(path: string, skipSec = 0) {
  const pcm = await pcmOf(path, skipSec);
  return { seconds: pcm.length / 48_000, ...dominantFrequency(pcm, 48_000, [CUSTOMER_HZ, TECHNICIAN_HZ]) };
}

function expectTone(t: Awaited<ReturnType<typeof toneOf>>, hz: number, other: number): void {
  expect(t.best, JSON.stringify(t)).toBe(hz);
  expect(t.power[hz]!, "the tone stands out from the other one").toBeGreaterThan(20 * t.power[other]!);
  expect(Math.abs(t.zeroCrossingHz - hz) / hz, `zero crossings say ${t.zeroCrossingHz} Hz`).toBeLessThan(0.1);
}

describe("live voice: listen to the customer, talk to them", { timeout: 120_000 }, () => {
  let server: TestServer;
  let setup: LensSetup | undefined;
  let tmp: ReturnType<typeof tempDir>;
  const children: RescueProcess[] = [];

  beforeAll(async () => {
    await buildDist();
    server = await startTestServer();
    tmp = tempDir();
  }, BUILD_TIMEOUT_MS);
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.child.exitCode === null) c.child.kill("SIGKILL");
    setup?.customer.child.kill("SIGKILL");
    if (setup) await dropHome(setup.home);
    setup = undefined;
  });
  afterAll(async () => {
    await server.close();
    tmp.cleanup();
  });

  it("listen --out writes the customer's 440 Hz tone to a WAV that is complete after SIGINT", async () => {
    setup = await waitingLensSession(server, { seconds: 30 });
    const { home, session } = setup;
    const wav = join(tmp.dir, "voice.wav");
    expect((await rescue(home, ["session", "start", session.id, "--no-record"])).code).toBe(0);
    await statsWhen(home, session.id, (s) => s.audio.packets > 10);
    const listen = spawnRescue(home, ["session", "listen", session.id, "--out", wav, "--json"]);
    children.push(listen);
    // Three seconds of 48 kHz 16-bit mono is 288 kB.
    await fileOver(wav, 288_000, 20_000, listen);
    listen.child.kill("SIGINT");
    const done = await listen.done;
    expect(done.code, done.stderr).toBe(0);
    expect(done.json()).toMatchObject({ id: session.id, out: wav, endedBy: "interrupted" });
    expect(statSync(wav).mode & 0o777).toBe(0o600);
    // A complete header: ffprobe's duration (from the header) matches the data on disk.
    const probe = await ffprobe(wav);
    expect(probe.streams[0]).toMatchObject({ codec_name: "pcm_s16le" });
    const headerSec = Number(probe.format.duration);
    expect(headerSec).toBeGreaterThan(2.9);
    expect(Math.abs(headerSec - (statSync(wav).size - 44) / 96_000)).toBeLessThan(0.05);
    expectTone(await toneOf(wav), CUSTOMER_HZ, TECHNICIAN_HZ);
  });

  it("listen --out on a session not yet started says so (exit 1) and makes no file", async () => {
    setup = await waitingLensSession(server, { seconds: 30 });
    const { home, session } = setup;
    const wav = join(tmp.dir, "early.wav");
    const early = await rescue(home, ["session", "listen", session.id, "--out", wav]);
    expect(early.code).toBe(1);
    expect(early.stderr).toContain("the session has not started (it is waiting)");
    expect(early.stderr).not.toContain("ffmpeg");
    expect(existsSync(wav)).toBe(false);
  });

  it("talk --audio converts a WAV (1000 Hz) and the customer hears it; unreadable files are refused with exit 2", async () => {
    const heard = join(tmp.dir, "heard-file.ogg");
    setup = await waitingLensSession(server, { seconds: 30, customerArgs: ["--record-voice", heard] });
    const { home, session } = setup;
    const tone = join(tmp.dir, "tone.wav");
    execFileSync("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", `sine=frequency=${TECHNICIAN_HZ}:sample_rate=44100:duration=3`, tone]);
    const junk = join(tmp.dir, "junk.wav");
    writeFileSync(junk, "RIFF this is not really a WAV file at all, just text pretending to be one\n".repeat(20));

    expect((await rescue(home, ["session", "start", session.id, "--no-record"])).code).toBe(0);
    await statsWhen(home, session.id, (s) => s.audio.packets > 10);

    const refused = await rescue(home, ["session", "talk", session.id, "--audio", junk]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/junk\.wav: not audio that can be played \(.+\)/);
    const both = await rescue(home, ["session", "talk", session.id, "--audio", tone, "--mic"]);
    expect(both.code).toBe(2);
    // The daemon refuses a file that is not Ogg/Opus too (before, it answered 202 and sent nothing).
    const direct = await localRequest(home, "POST", `/api/v1/sessions/${session.id}/talk`, { body: { audioPath: tone } });
    expect(direct.status, direct.text).toBe(400);
    expect(JSON.parse(direct.text).error.message).toMatch(/not an Ogg\/Opus file/);
    const live = await uploadLive(home, session.id, Buffer.from("this is text, not an Ogg stream; ".repeat(10)));
    expect(live.status, live.text).toBe(400);
    expect(JSON.parse(live.text).error.message).toMatch(/not Ogg\/Opus/);

    const talk = await rescue(home, ["session", "talk", session.id, "--audio", tone, "--json"]);
    expect(talk.code, talk.stderr).toBe(0);
    // 3 s of 20 ms packets.
    await statsWhen(home, session.id, (s) => s.audio.sentPackets >= 145, 20_000);
    // What went out arrives: the customer has heard all of it before the session ends.
    await until("voice packets the customer heard", () => heardPackets(heard), (n) => n >= 145);
    // A listener still running when the session ends stops by itself, with a complete WAV.
    const wav = join(tmp.dir, "until-end.wav");
    const listen = spawnRescue(home, ["session", "listen", session.id, "--out", wav, "--json"]);
    children.push(listen);
    await fileOver(wav, 96_000, 20_000, listen);
    expect((await rescue(home, ["session", "end", session.id])).code).toBe(0);
    const listened = await listen.done;
    expect(listened.code, listened.stderr).toBe(0);
    expect(listened.json()).toMatchObject({ endedBy: "session-ended" });
    expect(Number((await ffprobe(wav)).format.duration)).toBeGreaterThan(0.9);
    // Keeping the voice in a file is in the session log, as a snapshot is.
    const log = (await rescue(home, ["session", "log", session.id, "--json"])).json<Array<{ event: string; by?: string }>>();
    expect(log.filter((e) => e.event === "voice-saved")).toEqual([expect.objectContaining({ by: setup.tech.email })]);
    const sent = await setup.customer.result;
    expect(sent.receivedAudioPackets).toBeGreaterThanOrEqual(145);
    const t = await toneOf(heard);
    expect(t.seconds).toBeGreaterThan(2.8);
    expectTone(t, TECHNICIAN_HZ, CUSTOMER_HZ);
  });

  it("without a sound server: listen, talk --mic and the console each say so on one line; ffmpeg's own lines go to the log", async () => {
    setup = await waitingLensSession(server, { seconds: 40 });
    const { home, session } = setup;
    // A PulseAudio socket nobody serves: what a machine without a running sound server gives its clients.
    const noPulse = { PULSE_SERVER: `unix:${join(tmp.dir, "no-pulse", "native")}`, XDG_RUNTIME_DIR: join(tmp.dir, "no-pulse") };
    expect((await rescue(home, ["session", "start", session.id, "--no-record"])).code).toBe(0);
    await statsWhen(home, session.id, (s) => s.audio.packets > 10);
    const log = join(home, "logs", "rescued.log");

    const listened = await spawnRescue(home, ["session", "listen", session.id], noPulse).done;
    expect(listened.code).toBe(1);
    expect(listened.stderr).toMatch(/^rescue: no PulseAudio server reachable to play the customer's voice: start one \(pulseaudio --start, .*\), or write the voice to a file with --out FILE\.wav\n$/);
    const talked = await spawnRescue(home, ["session", "talk", session.id, "--mic"], noPulse).done;
    expect(talked.code).toBe(1);
    expect(talked.stderr).toMatch(/^rescue: no PulseAudio server reachable to record your microphone: start one .*, or send a recorded file with --audio FILE\n$/);
    // ffmpeg's raw lines are for whoever digs: in the profile's log, one line per failure.
    const logged = readFileSync(log, "utf8").split("\n");
    expect(logged.find((l) => l.includes(`ffmpeg playing the customer of ${session.id} on the default output exited 1:`))).toMatch(/ warn .*PulseAudio outdev .*(Cannot connect context|Context failed)/);
    expect(logged.find((l) => l.includes(`ffmpeg recording the default input for ${session.id} exited`))).toMatch(/ warn .+/);

    // The console: its speaker starts by itself for the live session, and fails as plainly.
    const client = consoleClient(new DaemonClient(join(home, "run", "rescued.sock")), { ...process.env, ...noPulse }, log);
    const t = renderAt(createElement(App, { client, timings: { retryMs: 200, statsMs: 500, tickMs: 500 }, env: { ...process.env, ...noPulse } }), 100, 30);
    try {
      await vi.waitFor(() => expect(t.lastFrame()).toContain("Error: speaker off: no PulseAudio server: start one, then press a to retry"), { timeout: 20_000, interval: 100 });
      t.stdin.write("M");
      await vi.waitFor(() => expect(t.lastFrame()).toContain("Error: microphone off: no PulseAudio server: start one, then press M to retry"), { timeout: 20_000, interval: 100 });
      // No frame ever held ffmpeg's own words.
      for (const frame of t.stdout.frames) expect(frame).not.toMatch(/PulseAudio outdev|Could not write header|Error initializing output stream/);
    } finally {
      t.instance.unmount();
    }
  });

  describe("through a private PulseAudio", () => {
    let pulse: PrivatePulse | null = null;
    beforeAll(async () => {
      pulse = await startPrivatePulse();
    });
    afterAll(async () => {
      await pulse?.stop();
    });

    it("carries the technician's microphone (1000 Hz) to the customer and the customer (440 Hz) to the speakers", async (ctx) => {
      if (!pulse) return ctx.skip("pulseaudio is not installed (Debian: apt-get install pulseaudio pulseaudio-utils)");
      const env = pulse.env;
      const heard = join(tmp.dir, "heard-mic.ogg");
      setup = await waitingLensSession(server, { seconds: 40, customerArgs: ["--record-voice", heard] });
      const { home, session } = setup;
      expect((await rescue(home, ["session", "start", session.id, "--no-record"])).code).toBe(0);
      await statsWhen(home, session.id, (s) => s.audio.packets > 10);
      // A device the sound server does not have: exit 1 with ffmpeg's reason, nothing left running.
      const noMic = await spawnRescue(home, ["session", "talk", session.id, "--mic", "--device", "no-such-source"], env).done;
      expect(noMic.code).toBe(1);
      expect(noMic.stderr).toMatch(/could not record no-such-source: .+/);
      const noSink = await spawnRescue(home, ["session", "listen", session.id, "--device", "no-such-sink"], env).done;
      expect(noSink.code).toBe(1);
      expect(noSink.stderr).toMatch(/could not play on no-such-sink: .+/);

      // "The technician speaks": a tone played into the null sink `mic`, whose monitor is the microphone.
      const toneProc = spawn(
        "ffmpeg",
        ["-v", "error", "-re", "-f", "lavfi", "-i", `sine=frequency=${TECHNICIAN_HZ}:sample_rate=48000:duration=30`, "-f", "pulse", "-device", "mic", "technician"],
        { env: { ...process.env, ...env }, stdio: "ignore" },
      );
      const capture = join(tmp.dir, "speakers.wav");
      try {
        const talk = spawnRescue(home, ["session", "talk", session.id, "--mic", "--device", "mic.monitor", "--json"], env);
        const listen = spawnRescue(home, ["session", "listen", session.id, "--device", "speakers", "--json"], env);
        children.push(talk, listen);
        await statsWhen(home, session.id, (s) => s.audio.sentPackets > 100, 20_000);
        // What PulseAudio holds in the technician's two streams: the speakers (listen) and the microphone (talk --mic).
        const speakersMs = pulseLatencyMs(env, "sink-inputs", /rescue: customer of/);
        const micMs = pulseLatencyMs(env, "source-outputs", /application\.process\.binary = "ffmpeg"/);
        expect(speakersMs.length).toBe(1);
        expect(speakersMs[0], "speakers buffer, ms").toBeLessThan(250);
        expect(micMs.length).toBe(1);
        expect(micMs[0], "microphone buffer, ms").toBeLessThan(100);
        // Mute holds back the live microphone too; unmute lets it through again.
        const stats = async () => (await rescue(home, ["session", "stats", session.id, "--json"])).json().audio.sentPackets as number;
        expect((await rescue(home, ["session", "mute", session.id])).code).toBe(0);
        await sleep(200);
        const mutedAt = await stats();
        await sleep(600);
        expect((await stats()) - mutedAt).toBeLessThanOrEqual(1);
        expect((await rescue(home, ["session", "unmute", session.id])).code).toBe(0);
        await statsWhen(home, session.id, (s) => s.audio.sentPackets > mutedAt + 20, 10_000);
        // What "the speakers" play, recorded from the sink's monitor.
        execFileSync("ffmpeg", ["-v", "error", "-y", "-f", "pulse", "-i", "speakers.monitor", "-t", "3", "-ac", "1", "-ar", "48000", capture], {
          env: { ...process.env, ...env },
          timeout: 20_000,
        });
        talk.child.kill("SIGINT");
        listen.child.kill("SIGINT");
        const [talked, listened] = await Promise.all([talk.done, listen.done]);
        expect(talked.code, talked.stderr).toBe(0);
        expect(listened.code, listened.stderr).toBe(0);
        const summary = talked.json();
        expect(summary).toMatchObject({ id: session.id, device: "mic.monitor", endedBy: "upload-ended" });
        expect(summary.sentPackets).toBeGreaterThan(100);
        expect(listened.json()).toMatchObject({ id: session.id, device: "speakers", endedBy: "interrupted" });

        // The console's speaker: the same player on the default output, stopped by the console.
        const client = consoleClient(new DaemonClient(join(home, "run", "rescued.sock")), { ...process.env, ...env }, join(home, "logs", "rescued.log"));
        const playing = client.voice!(session.id, "speaker");
        await vi.waitFor(() => expect(pulseLatencyMs(env, "sink-inputs", /rescue: customer of/)).toHaveLength(1), { timeout: 10_000, interval: 200 });
        playing.stop();
        expect(await playing.done).toBeNull();
        expect(pulseLatencyMs(env, "sink-inputs", /rescue: customer of/)).toHaveLength(0);
      } finally {
        toneProc.kill("SIGKILL");
      }
      expect((await rescue(home, ["session", "end", session.id])).code).toBe(0);
      await setup.customer.result;
      // Skip the first half second of each: the sound server's start.
      expectTone(await toneOf(heard, 0.5), TECHNICIAN_HZ, CUSTOMER_HZ);
      expectTone(await toneOf(capture, 0.5), CUSTOMER_HZ, TECHNICIAN_HZ);
    });
  });
});

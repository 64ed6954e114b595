import type { Command } from "commander";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { examples, type Context } from "../context.js";
import { UsageError } from "../errors.js";
import type { IO } from "../io.js";

interface Options {
  duration: string;
  json?: boolean;
}

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("demo")
    .description("run a whole Lens session by PIN on this machine: embedded server, daemon, simulated customer, recording")
    .option("--duration <seconds>", "seconds of live video to record", "8")
    .option("--json", "print the outcome as JSON");
  examples(cmd, "rescue demo", "rescue demo --duration 20 --json");
  cmd.action((opts: Options) => run(ctx, opts));
}

interface Step {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(ctx: Context, opts: Options): Promise<void> {
  const seconds = Number(opts.duration);
  if (!Number.isFinite(seconds) || seconds < 1 || seconds > 3600) throw new UsageError("--duration must be between 1 and 3600 seconds");
  const say = (text: string) => void ctx.io.stderr.write(`${text}\n`);
  const [{ initData, startServer }, { simulateCustomer }, { main }] = await Promise.all([
    import("../../server/index.js"),
    import("../../customer/run.js"),
    import("../main.js"),
  ]);

  const root = mkdtempSync(join(tmpdir(), "rescue-demo-"));
  const home = join(root, "home");
  const env = { ...ctx.io.env, RESCUE_HOME: home, RESCUE_KEYCHAIN: "off" };
  /** Runs a rescue verb in this process, as a script would, against the demo's RESCUE_HOME. */
  const rescue = async (args: string[], stdin = ""): Promise<Step> => {
    const out: string[] = [];
    const err: string[] = [];
    const io: IO = {
      ...ctx.io,
      stdin: Readable.from([stdin]),
      stdout: { write: (s: string) => out.push(s) },
      stderr: { write: (s: string) => err.push(s) },
      stdinIsTTY: false,
      stdoutIsTTY: false,
      env,
    };
    const step = { code: await main(["node", "rescue", ...args], io), stdout: out.join(""), stderr: err.join("") };
    if (step.code !== 0) throw new Error(`rescue ${args.join(" ")} failed (exit ${step.code}): ${step.stderr.trim()}`);
    return step;
  };
  const json = async <T>(args: string[]): Promise<T> => JSON.parse((await rescue([...args, "--json"])).stdout) as T;

  say(`demo folder: ${root}`);
  const admin = await initData(join(root, "data"), "technician@demo.rescue.test");
  const server = await startServer({ dataDir: join(root, "data"), host: "127.0.0.1", port: 0, logLevel: "warn" });
  const leaving = new AbortController();
  let customer: ReturnType<typeof simulateCustomer> | undefined;
  try {
    say(`embedded server on ${server.url}`);
    await rescue(["login", "--server", server.url, "--email", admin.email, "--password-stdin"], admin.password);
    say(`logged in as ${admin.email}; the daemon runs with RESCUE_HOME=${home}`);

    const session = await json<{ id: string; pin: string }>(["session", "new", "--lens", "--pin", "--name", "Demo customer"]);
    say(`Lens session ${session.id} created, PIN ${session.pin}`);

    customer = simulateCustomer({
      server: server.url,
      pin: session.pin,
      name: "Demo customer",
      acceptEula: true,
      // The technician ends the session; the customer streams until then.
      durationSec: seconds + 60,
      signal: leaving.signal,
    });
    customer.catch(() => undefined);
    await json(["session", "wait", session.id, "--status", "waiting", "--timeout", "20"]);
    say("the customer granted camera and microphone and accepted the EULA: the session is waiting");

    const started = await json<{ recording?: string }>(["session", "start", session.id]);
    say(`started; recording to ${started.recording ?? "(not recorded)"}`);
    for (let s = 1; s <= seconds; s++) {
      await sleep(1000);
      const st = await json<{ video: { frames: number; fps: number; width: number | null; height: number | null; bitrateKbps: number } }>([
        "session",
        "stats",
        session.id,
      ]);
      const v = st.video;
      say(`  ${String(s).padStart(3)} s  ${v.width ?? "-"}x${v.height ?? "-"}  ${v.frames} frames  ${v.fps.toFixed(0)} fps  ${v.bitrateKbps} kbps`);
    }

    await rescue(["session", "end", session.id]);
    const sent = await customer;
    const recording = await finishedRecording(json, session.id);
    const outcome = {
      session: session.id,
      recording: recording?.path ?? null,
      bytes: recording?.bytes ?? 0,
      durationMs: recording?.durationMs ?? null,
      sentVideoFrames: sent.sentVideoFrames,
      sentAudioPackets: sent.sentAudioPackets,
      home,
    };
    if (opts.json) ctx.printer(opts).value(outcome);
    else {
      say(`session ended; the customer sent ${sent.sentVideoFrames} video frames and ${sent.sentAudioPackets} audio packets`);
      ctx.io.stdout.write(`recording: ${outcome.recording ?? "none"}\n`);
    }
  } finally {
    leaving.abort();
    await customer?.catch(() => undefined);
    await rescue(["daemon", "stop"]).catch(() => undefined);
    await server.close();
  }
}

interface Recording {
  session: string;
  path: string;
  bytes: number;
  durationMs: number | null;
}

/** The daemon finalises the file once it sees the session closed; its manifest gives the duration. */
async function finishedRecording(json: <T>(args: string[]) => Promise<T>, session: string): Promise<Recording | undefined> {
  for (let i = 0; i < 50; i++) {
    const found = (await json<Recording[]>(["recordings", "list"])).find((r) => r.session === session);
    if (found && found.durationMs !== null) return found;
    await sleep(100);
  }
  return undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

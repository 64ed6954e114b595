import type { Command } from "commander";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { examples, type Context } from "../../context.js";
import { Interrupted, UsageError } from "../../errors.js";
import { CustomerToServer, LEAD_PEER } from "../../../protocol/index.js";

interface Options {
  server: string;
  pin: string;
  name?: string;
  declineEula?: boolean;
  duration: string;
  video?: string;
  audio?: string;
  recordVoice?: string;
  camera?: boolean;
  json?: boolean;
}

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("customer")
    .description("join a session by PIN as a customer would and stream a clip once the technician starts it")
    .requiredOption("--server <url>", "the Rescue server")
    .requiredOption("--pin <pin>", "the 6-digit PIN the technician gave")
    .option("--name <name>", "the customer's name")
    .option("--decline-eula", "refuse the licence agreement (the session becomes declined)")
    .option("--duration <seconds>", "seconds of media to stream; the clip loops", "10")
    .option("--video <file.ivf>", "VP8 IVF file instead of the bundled clip")
    .option("--audio <file.ogg>", "Ogg/Opus file instead of the bundled clip")
    .option("--no-camera", "deny the camera: grant the microphone only and stream audio alone")
    .option("--record-voice <file.ogg>", "save the technician's voice as it arrives (Ogg/Opus, mode 0600)")
    .option("--json", "print what was sent as JSON: sentVideoFrames/sentAudioPackets went to the lead technician (compare them with the recording), technicians[] has each technician's");
  examples(
    cmd,
    "rescue simulate customer --server http://127.0.0.1:8080 --pin 123456 --json",
    "rescue simulate customer --server http://127.0.0.1:8080 --pin 123456 --duration 60 --video clip.ivf --audio clip.ogg",
    "rescue simulate customer --server http://127.0.0.1:8080 --pin 123456 --decline-eula",
    "rescue simulate customer --server http://127.0.0.1:8080 --pin 123456 --record-voice heard.ogg   # what the technician said",
    "rescue simulate customer --server http://127.0.0.1:8080 --pin 123456 --json --jq '.technicians[] | [.peer, .sentVideoFrames]'",
  );
  cmd.action((opts: Options) => run(ctx, opts));
}

/** The flag a field of the customer's `join` message comes from. */
const JOIN_FLAGS: Record<string, string> = { pin: "--pin", name: "--name" };

/**
 * Refuses what the server would refuse, before any socket is opened: the flags that go into the
 * customer's messages are checked with the message schemas the server uses (src/protocol).
 */
function checkFlags(opts: Options): void {
  if (!/^\d{6}$/.test(opts.pin)) throw new UsageError("--pin must be 6 digits");
  let url: URL | undefined;
  try {
    url = new URL(opts.server);
  } catch {
    url = undefined;
  }
  if (!url || !["http:", "https:"].includes(url.protocol)) throw new UsageError(`--server must be an http:// or https:// URL, not ${JSON.stringify(opts.server)}`);
  const join = CustomerToServer.safeParse({ type: "join", pin: opts.pin, ...(opts.name ? { name: opts.name } : {}) });
  if (!join.success) {
    const issue = join.error.issues[0]!;
    const field = String(issue.path[0] ?? "");
    throw new UsageError(`${JOIN_FLAGS[field] ?? field}: ${issue.message}`);
  }
}

async function run(ctx: Context, opts: Options): Promise<void> {
  checkFlags(opts);
  const durationSec = Number(opts.duration);
  if (!Number.isFinite(durationSec) || durationSec <= 0 || durationSec > 24 * 3600) throw new UsageError("--duration must be a number of seconds > 0");
  for (const f of [opts.video, opts.audio]) if (f && !existsSync(f)) throw new UsageError(`${f}: no such file`);
  const { simulateCustomer } = await import("../../../customer/run.js");
  const out = ctx.printer(opts);
  const result = await simulateCustomer({
    server: opts.server,
    pin: opts.pin,
    name: opts.name,
    acceptEula: !opts.declineEula,
    durationSec,
    videoPath: opts.video && resolve(opts.video),
    audioPath: opts.audio && resolve(opts.audio),
    recordVoicePath: opts.recordVoice && resolve(opts.recordVoice),
    noCamera: opts.camera === false,
    signal: ctx.io.signal,
    progress: (text) => out.info(text),
  });
  if (result.endedBy === "left" && ctx.io.signal.aborted) throw new Interrupted();
  if (opts.json) out.value(result);
  else if (!out.tty) out.line([result.session, result.sentVideoFrames, result.sentAudioPackets, result.endedBy].join("\t"));
  else {
    const others = result.technicians.filter((t) => t.peer !== LEAD_PEER);
    const also = others.length > 0 ? `; ${others.length} collaborator${others.length > 1 ? "s" : ""} got ${others.map((t) => `${t.sentVideoFrames}/${t.sentAudioPackets}`).join(", ")}` : "";
    out.line(`session ${result.session}: sent ${result.sentVideoFrames} video frames and ${result.sentAudioPackets} audio packets to the lead technician${also} (${result.endedBy})`);
  }
}

import type { Command } from "commander";
import type { SessionStats } from "../../../protocol/index.js";
import { examples, type Context } from "../../context.js";
import { clockTime, type Printer } from "../../output.js";

interface Options {
  json?: boolean;
  watch?: boolean;
}

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("stats")
    .description("show the live media figures of a session: codec, size, frames, fps, bitrate, loss (frames and packets over all its media connections); the media's state (LOST, the customer AWAY and until when) and the recording; after its end, the final figures")
    .argument("<id>", "session id")
    .option("--watch", "refresh every second until the session ends or Ctrl-C (exit 0); with --json one JSON line per second")
    .option("--json", "print the figures as JSON");
  examples(
    cmd,
    "rescue session stats k7m2qd9xw4hbte",
    "rescue session stats k7m2qd9xw4hbte --json",
    "rescue session stats k7m2qd9xw4hbte --watch",
    "rescue session stats k7m2qd9xw4hbte --watch --json | jq -c '{at, fps: .video.fps}'",
  );
  cmd.addHelpText(
    "after",
    "\nOnce the session has ended, the daemon that received its media answers its final figures (with \"ended\": {status, at}),\nuntil it stops; an ended session it has no figures of exits 6.\n",
  );
  cmd.action((id: string, opts: Options) => run(ctx, id, opts));
}

/** Time between two refreshes of --watch, ms. */
const WATCH_INTERVAL_MS = 1000;

async function run(ctx: Context, id: string, opts: Options): Promise<void> {
  const client = await ctx.daemon();
  const out = ctx.printer(opts);
  if (!opts.watch) {
    const s = await client.sessionStats(id);
    if (opts.json) return out.value(s);
    return printStats(out, s);
  }
  const { followSession } = await import("./follow.js");
  let timer: NodeJS.Timeout | undefined;
  let busy = false;
  const tick = async (sessionId: string) => {
    if (busy) return; // a slow daemon skips a beat rather than piling requests up
    busy = true;
    try {
      const s = await client.sessionStats(sessionId);
      const at = new Date(ctx.io.now()).toISOString();
      if (out.json) out.jsonLine({ at, ...s });
      else if (out.tty) {
        out.control("\x1b[H\x1b[2J");
        out.line(`${sessionId}  ${at.slice(11, 19)}  (every ${WATCH_INTERVAL_MS / 1000} s; Ctrl-C to stop)`);
        printStats(out, s);
      } else {
        out.line(`at\t${at}`);
        printStats(out, s);
      }
    } catch {
      // The session ending shows on the event stream; a missed beat is not worth a failure.
    } finally {
      busy = false;
    }
  };
  try {
    const end = await followSession(ctx, client, id, {
      before: async (session) => {
        await tick(session.id);
        timer = setInterval(() => void tick(session.id), WATCH_INTERVAL_MS);
      },
    });
    if (end.why === "ended") out.info(`session ${id} is ${end.status}`);
  } finally {
    clearInterval(timer);
  }
}

function printStats(out: Printer, s: SessionStats): void {
  const v = s.video;
  const size = v.width && v.height ? `${v.width}x${v.height}` : "-";
  const away = s.away;
  const lines: [string, string][] = [
    ...(s.ended ? [["ended", `${s.ended.status} at ${clock(out, s.ended.at)}: the final figures of its media`] as [string, string]] : []),
    ...(away ? [["customer", `AWAY since ${clock(out, away.since)}: reconnecting; the session is aborted at ${clock(out, away.until)} unless they are back`] as [string, string]] : []),
    ...(s.paused ? [["paused", s.paused === "customer" ? "paused by the customer" : "on hold"] as [string, string]] : []),
    ...(s.connection ? [["media", s.connection.state === "lost" ? `LOST since ${s.connection.since}` : `${s.connection.state} since ${s.connection.since}`] as [string, string]] : []),
    ...(s.connection?.route ? [["route", routeText(s.connection.route)] as [string, string]] : []),
    // After a reload or a new network the counts below are the session's, over every connection.
    ...((s.connections ?? 0) > 1 ? [["media", `${s.connections} connections so far: frames and packets add them up`] as [string, string]] : []),
    ["video", `${v.codec ?? "-"} ${size}, ${v.frames} frames, ${v.fps.toFixed(1)} fps, ${v.bitrateKbps.toFixed(0)} kbps, ${v.packetsLost} lost, ${v.packetsRecovered} recovered`],
    ["audio", `${s.audio.codec ?? "-"}, ${s.audio.packets} packets, ${s.audio.packetsLost} lost, ${s.audio.sentPackets} sent${s.audio.muted ? ", muted" : ""}`],
  ];
  if (s.recording) {
    const state = s.recording.paused ? ", paused: the next segment starts when the media is back" : s.recording.error ? `, STOPPED: ${s.recording.error}` : "";
    lines.push(["recording", `${s.recording.path} (${s.recording.bytes} bytes)${state}`]);
  }
  for (const [k, text] of lines) out.line(out.tty ? `${k.padEnd(9)}  ${text}` : `${k}\t${text}`);
}

/** A time as HH:MM:SS (local) on a terminal, the ISO time when piped. */
function clock(out: Printer, iso: string): string {
  return out.tty ? clockTime(iso) : iso;
}

/** `host -> relay (through TURN)`: this side's candidate type, then the customer's. */
function routeText(route: { local: string; remote: string }): string {
  const relayed = route.local === "relay" || route.remote === "relay";
  return `${route.local} -> ${route.remote}${relayed ? " (through TURN)" : " (direct)"}`;
}

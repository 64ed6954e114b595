import type { Command } from "commander";
import { examples, type Context } from "../../context.js";

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("stats")
    .description("show the live media figures of a session: codec, size, frames, fps, bitrate, loss")
    .argument("<id>", "session id")
    .option("--json", "print the figures as JSON");
  examples(cmd, "rescue session stats k7m2qd9xw4hbte", "rescue session stats k7m2qd9xw4hbte --json");
  cmd.action((id: string, opts: { json?: boolean }) => run(ctx, id, opts));
}

async function run(ctx: Context, id: string, opts: { json?: boolean }): Promise<void> {
  const s = await (await ctx.daemon()).sessionStats(id);
  const out = ctx.printer(opts);
  if (opts.json) return out.value(s);
  const v = s.video;
  const size = v.width && v.height ? `${v.width}x${v.height}` : "-";
  const lines: [string, string][] = [
    ...(s.paused ? [["paused", s.paused === "customer" ? "paused by the customer" : "on hold"] as [string, string]] : []),
    ...(s.connection ? [["media", s.connection.state === "lost" ? `LOST since ${s.connection.since}` : `${s.connection.state} since ${s.connection.since}`] as [string, string]] : []),
    ["video", `${v.codec ?? "-"} ${size}, ${v.frames} frames, ${v.fps.toFixed(1)} fps, ${v.bitrateKbps.toFixed(0)} kbps, ${v.packetsLost} lost, ${v.packetsRecovered} recovered`],
    ["audio", `${s.audio.codec ?? "-"}, ${s.audio.packets} packets, ${s.audio.packetsLost} lost, ${s.audio.sentPackets} sent${s.audio.muted ? ", muted" : ""}`],
  ];
  if (s.recording) lines.push(["recording", `${s.recording.path} (${s.recording.bytes} bytes)${s.recording.error ? `, STOPPED: ${s.recording.error}` : ""}`]);
  for (const [k, text] of lines) out.line(out.tty ? `${k.padEnd(9)}  ${text}` : `${k}\t${text}`);
}

import type { Command } from "commander";
import type { RecordingDetail } from "../../../protocol/index.js";
import { examples, type Context } from "../../context.js";
import type { Printer } from "../../output.js";
import { humanBytes, humanDuration, recordingRef, timelineLine } from "./ref.js";

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("show")
    .description("show a recording's manifest: session, segments, duration, sizes, codecs, frames, gaps, and its timeline (chat, Lens tools, hold, collaborators ... on the recording's clock)")
    .argument("<id|path>", "a session id (all its segments) or a recording's path (.webm, or its .json manifest)")
    .option("--json", "print the segments as a JSON array, each with its manifest (null while it is being written) and its timeline: [{atMs, kind, text, detail?}]");
  examples(
    cmd,
    "rescue recordings show k7m2qd9xw4hbte",
    "rescue recordings show ~/.local/share/rescue/recordings/k7m2qd9xw4hbte-2026-11-30T07-12-00-000Z.webm",
    "rescue recordings show k7m2qd9xw4hbte --json",
    "rescue recordings show k7m2qd9xw4hbte --json | jq '.[0].manifest.timeline[] | select(.kind == \"chat\")'",
  );
  cmd.action((ref: string, opts: { json?: boolean }) => run(ctx, ref, opts));
}

async function run(ctx: Context, ref: string, opts: { json?: boolean }): Promise<void> {
  const segments = await (await ctx.daemon()).showRecordings(recordingRef(ref));
  const out = ctx.printer(opts);
  if (opts.json) return out.value(segments);
  printSegments(out, segments);
}

/**
 * What a gap of the manifest (`audio.gaps`) lacked: `filled` (silence written while video went on:
 * a muted or stalled microphone) lacked only audio; not filled (a link outage, hold, the customer's
 * pause) lacked both tracks; manifests from before `filled` say only that audio was missing.
 */
function gapKind(filled: boolean | undefined): string {
  if (filled === true) return "without audio (silence; video went on)";
  if (filled === false) return "without video or audio";
  return "without audio";
}

/** The segments as `key  value` lines (tab-separated when piped), one block per segment. */
export function printSegments(out: Printer, segments: RecordingDetail[]): void {
  const row = (k: string, v: string) => out.line(out.tty ? `${k.padEnd(10)} ${v}` : `${k}\t${v}`);
  const total = segments.reduce((sum, s) => sum + (s.durationMs ?? 0), 0);
  row("session", segments[0]!.session);
  row("segments", `${segments.length}${segments.length > 1 ? `, ${humanDuration(total)} in all` : ""}`);
  segments.forEach((s, i) => {
    const m = s.manifest;
    if (out.tty) out.line("");
    row("segment", `${i + 1}${s.live ? " (being recorded)" : ""}`);
    row("path", s.path);
    row("size", `${humanBytes(s.bytes)} (${s.bytes} bytes)`);
    row("duration", humanDuration(s.durationMs));
    if (!m) {
      if (!s.live) row("manifest", "none (the recording stopped early)");
      return;
    }
    row("time", `${m.startedAt} to ${m.endedAt}`);
    row("codecs", `video ${m.codecs.video ?? "-"}, audio ${m.codecs.audio ?? "-"}`);
    row("frames", `${m.frames.video} video, ${m.frames.audio} audio`);
    const sizes = m.video.sizes.map((z) => `${z.width}x${z.height} (${z.frames} frames from ${humanDuration(z.fromMs)})`);
    row("sizes", sizes.length ? sizes.join(", ") : "-");
    const gaps = m.audio.gaps;
    const missing = gaps.reduce((sum, g) => sum + (g.toMs - g.fromMs), 0);
    row("gaps", gaps.length ? `${gaps.length}, ${humanDuration(missing)} in all: ${gaps.map((g) => `${humanDuration(g.fromMs)}-${humanDuration(g.toMs)} ${gapKind(g.filled)}`).join(", ")}` : "none");
    row("complete", m.complete ? "yes" : `no${m.error ? `: ${m.error}` : ""}`);
    row("sha256", m.sha256);
    const timeline = m.timeline ?? [];
    row("timeline", timeline.length ? `${timeline.length} events (also in ${s.path.replace(/\.[^./]+$/, ".vtt")})` : "none");
    for (const e of timeline) out.line(timelineLine(e));
  });
}

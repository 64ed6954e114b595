import type { Command } from "commander";
import { examples, type Context } from "../../context.js";
import { requireStarted } from "./started.js";
import { DaemonUnavailable, UsageError } from "../../errors.js";

interface Options {
  renderer?: string;
  frames?: string;
  window?: boolean;
  size?: string;
}

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("view")
    .description("show the customer's live video in the terminal (or a desktop window) until Ctrl-C or the session ends")
    .argument("<id>", "session id")
    .option("--renderer <kind>", "kitty, iterm, sixel or blocks (truecolor half blocks); default: the best the terminal supports")
    .option("--frames <n>", "show this many frames, then exit (scripts, tests)")
    .option("--window", "play the stream in a desktop window at full resolution (mpv or ffplay)")
    .option("--size <COLSxROWS>", "picture size in cells when stdout is not a terminal (default: $COLUMNS x $LINES, or 80x24)");
  examples(
    cmd,
    "rescue session view k7m2qd9xw4hbte",
    "rescue session view k7m2qd9xw4hbte --window",
    "rescue session view k7m2qd9xw4hbte --renderer blocks --frames 1 --size 64x24 > frame.ans",
  );
  cmd.addHelpText(
    "after",
    "\nCtrl-C ends the view (exit 0); a daemon that goes away ends it with exit 3. Before the session's start it exits 1\n" +
      "saying so, as listen and snapshot do: rescue session wait ID --status active && rescue session view ID.\n" +
      "Decoding is ffmpeg's: RESCUE_FFMPEG, ffmpeg on PATH (Debian/Ubuntu: apt install ffmpeg), or the copy npm installed.\n" +
      "Over SSH and in tmux the picture is drawn with half blocks.\n",
  );
  cmd.action((id: string, opts: Options) => run(ctx, id, opts));
}

const between = (n: number, min: number, max: number) => Number.isInteger(n) && n >= min && n <= max;

async function run(ctx: Context, id: string, opts: Options): Promise<void> {
  const { RENDERERS } = await import("../../../picture/renderer.js");
  type Kind = (typeof RENDERERS)[number];
  if (opts.renderer !== undefined && !RENDERERS.includes(opts.renderer as Kind)) throw new UsageError(`--renderer ${opts.renderer}: one of ${RENDERERS.join(", ")}`);
  const frames = opts.frames === undefined ? undefined : Number(opts.frames);
  if (frames !== undefined && !(Number.isInteger(frames) && frames > 0)) throw new UsageError(`--frames ${opts.frames}: a whole number above 0`);
  const sizeMatch = opts.size === undefined ? null : /^(\d+)x(\d+)$/.exec(opts.size);
  if (opts.size !== undefined && (!sizeMatch || !between(Number(sizeMatch[1]), 2, 1000) || !between(Number(sizeMatch[2]), 1, 500))) {
    throw new UsageError(`--size ${opts.size}: COLSxROWS from 2x1 to 1000x500, e.g. 80x24`);
  }
  if (opts.window && (opts.renderer || frames !== undefined)) throw new UsageError("--window plays in a desktop window: leave out --renderer and --frames");

  const client = await ctx.daemon();
  const session = await client.getSession(id);
  // Before the start no video comes: said at once, as listen and snapshot say it.
  requireStarted(session);
  const open = () => client.videoStream(session.id);
  if (opts.window) {
    const { viewInWindow } = await import("../../view/window.js");
    const why = await viewInWindow(ctx.io.env as NodeJS.ProcessEnv, open, `Rescue: ${session.name || session.id}`, ctx.io.signal, ctx.paths.log);
    if (why === "ended") ctx.io.stderr.write(`the video of ${session.id} ended\n`);
    return;
  }
  const { viewInTerminal } = await import("../../view/terminal.js");
  let stats = "";
  const startedAt = Date.now();
  let hinted = ctx.io.stdoutIsTTY;
  const poll = setInterval(() => {
    client
      .sessionStats(session.id)
      .then((s) => {
        const lost = s.connection?.state === "lost" ? `MEDIA LOST since ${s.connection.since.slice(11, 19)}  ` : "";
        stats = lost + (s.video.width ? `${s.video.width}x${s.video.height} ${s.video.fps} fps ${s.video.bitrateKbps} kbps` : "waiting for video");
        // Piped, nothing shows the wait: say once why no frame comes.
        if (!hinted && !s.video.width && Date.now() - startedAt > 3000) {
          hinted = true;
          ctx.io.stderr.write(`no video from ${session.id} yet\n`);
        }
      })
      .catch(() => undefined);
  }, 1000);
  try {
    const result = await viewInTerminal(ctx.io, open, {
      renderer: opts.renderer as Kind | undefined,
      frames,
      size: sizeMatch ? { cols: Number(sizeMatch[1]), rows: Number(sizeMatch[2]) } : undefined,
      status: () => `${session.id}  ${stats || "waiting for video"}  Ctrl-C to stop`,
    });
    if (result.error) throw result.error;
    if (result.end === "cut") throw new DaemonUnavailable(`rescued went away while showing ${session.id}: run rescue daemon status`);
    if (result.end === "ended") {
      if (frames !== undefined) throw new Error(`the video of ${session.id} ended after ${result.shown} of ${frames} frames`);
      ctx.io.stderr.write(`the video of ${session.id} ended\n`);
    }
  } finally {
    clearInterval(poll);
  }
}

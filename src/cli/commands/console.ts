import type { Command } from "commander";
import type { ConsoleClient } from "../../tui/client.js";
import { examples, type Context } from "../context.js";
import { ExitWith, UsageError } from "../errors.js";
import { appendLog } from "../../profile/log-file.js";

export function register(parent: Command, ctx: Context): void {
  const cmd = parent.command("console").description("open the interactive console (also: rescue alone on a terminal)");
  cmd.addHelpText("after", "\nIn the console, v on a running Lens session puts Lens tools on the live picture (arrows or the mouse move a cursor; space, a, c draw; ? lists the keys).");
  examples(cmd, "rescue console", "rescue");
  cmd.addHelpText(
    "after",
    "\nKeys on the selected session include s start, e end, i invite, w collaborators (the lead: permissions, remove),\nT talk (an audio file, microphone, mute), R recordings (o plays, d deletes after y); ? lists them all.\n",
  );
  cmd.action(() => runConsoleCommand(ctx));
}

export async function runConsoleCommand(ctx: Context): Promise<void> {
  if (!ctx.io.stdinIsTTY || !ctx.io.stdoutIsTTY) throw new UsageError("the console needs a terminal: use rescue session ... commands in scripts");
  let mod: { runConsole(client: ConsoleClient, io?: undefined, timings?: undefined, log?: (message: string) => void): Promise<number | void> };
  try {
    // The Ink console is loaded only here, so other commands never load Ink or React.
    mod = await import("../../tui/main.js");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND") throw new Error("console not available in this build: use rescue session ... commands");
    throw e;
  }
  const { consoleClient } = await import("../console-client.js");
  const log = ctx.paths.log;
  const code = await mod.runConsole(consoleClient(await ctx.daemon(), ctx.io.env, log), undefined, undefined, (message) => appendLog(log, "error", message));
  if (typeof code === "number" && code !== 0) throw new ExitWith(code);
}

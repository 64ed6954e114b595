import type { Command } from "commander";
import { examples, type Context } from "../../context.js";

/** hold, resume and end share their shape: an id in, the changed session out. */
export function registerAction(
  parent: Command,
  ctx: Context,
  action: "hold" | "resume" | "end",
  description: string,
): void {
  const cmd = parent
    .command(action)
    .description(description)
    .argument("<id>", "session id")
    .option("--json", "print the session as JSON");
  examples(cmd, `rescue session ${action} k7m2qd9xw4hbte`, `rescue session ${action} k7m2qd9xw4hbte --json`);
  cmd.action(async (id: string, opts: { json?: boolean }) => {
    const { RescueError, TERMINAL_STATUSES } = await import("../../../protocol/index.js");
    const client = await ctx.daemon();
    const session = await client.sessionAction(id, action).catch(async (e: unknown) => {
      // Ending what has already ended is done, not an error: cleanup scripts may run it twice.
      const ended = action === "end" && e instanceof RescueError && e.code === "conflict" ? await client.getSession(id).catch(() => null) : null;
      if (!ended || !TERMINAL_STATUSES.includes(ended.status)) throw e;
      ctx.io.stderr.write(`note: session ${id} had already ended (${ended.status}); nothing to do\n`);
      return ended;
    });
    const out = ctx.printer(opts);
    if (opts.json) out.value(session);
    else if (out.tty) out.line(`session ${session.id} is ${session.status}`);
    else out.line(`${session.id}\t${session.status}`);
  });
}

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
  examples(cmd, `rescue session ${action} s_abc123`, `rescue session ${action} s_abc123 --json`);
  cmd.action(async (id: string, opts: { json?: boolean }) => {
    const session = await (await ctx.daemon()).sessionAction(id, action);
    const out = ctx.printer(opts);
    if (opts.json) out.value(session);
    else if (out.tty) out.line(`session ${session.id} is ${session.status}`);
    else out.line(`${session.id}\t${session.status}`);
  });
}

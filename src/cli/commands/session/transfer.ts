import type { Command } from "commander";
import { Session } from "../../../protocol/index.js";
import { examples, type Context } from "../../context.js";

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("transfer")
    .description("hand a session to another technician of your organisation who is online")
    .argument("<id>", "session id")
    .requiredOption("--to <email>", "the receiving technician")
    .option("--json", "print the session as JSON");
  examples(cmd, "rescue session transfer k7m2qd9xw4hbte --to ann@example.com");
  cmd.action(async (id: string, opts: { to: string; json?: boolean }) => {
    const client = await ctx.daemon();
    const session = await client.call("POST", `/api/v1/sessions/${encodeURIComponent(id)}/transfer`, Session, { to: opts.to });
    const out = ctx.printer(opts);
    if (opts.json) out.value(session);
    else if (out.tty) out.line(`session ${session.id} now belongs to ${session.technician}`);
    else out.line(`${session.id}\t${session.technician}`);
  });
}

import type { Command } from "commander";
import { examples, type Context } from "../../context.js";

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("remove")
    .description("remove a collaborating technician from a session")
    .argument("<session>", "session id")
    .argument("<collaborator>", "the collaborator's id or email")
    .option("--json", "print the session as JSON");
  examples(cmd, "rescue collaborator remove k7m2qd9xw4hbte ann@example.com");
  cmd.action(async (session: string, collaborator: string, opts: { json?: boolean }) => {
    const client = await ctx.daemon();
    const out = await client.removeCollaborator(session, collaborator);
    const p = ctx.printer(opts);
    if (opts.json) p.value(out);
    else p.info(`removed ${collaborator} from session ${out.id} (now ${out.status})`);
  });
}

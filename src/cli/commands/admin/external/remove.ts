import type { Command } from "commander";
import { examples, type Context } from "../../../context.js";

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("remove")
    .description("withdraw an external technician's approval: later invitations to them are unlisted ones (admins only)")
    .argument("<email>", "the external technician's address")
    .option("--json", 'print the withdrawn entry {"email", "name", "addedAt"} as JSON');
  examples(cmd, "rescue admin external remove vendor@partner.example");
  cmd.action(async (email: string, opts: { json?: boolean }) => {
    const removed = await (await ctx.daemon()).withdrawExternal(email);
    const out = ctx.printer(opts);
    if (opts.json) out.value(removed);
    else out.info(`withdrew the approval of ${removed.email}`);
  });
}

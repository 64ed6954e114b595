import type { Command } from "commander";
import { examples, type Context } from "../../../context.js";
import { printGroups } from "../permissions.js";

export function register(parent: Command, ctx: Context): void {
  const cmd = parent.command("list").description("list technician groups (admins only)").option("--json", "print the groups as a JSON array");
  examples(cmd, "rescue admin group list --json");
  cmd.action(async (opts: { json?: boolean }) => {
    const groups = await (await ctx.daemon()).listGroups();
    const out = ctx.printer(opts);
    if (opts.json) out.value(groups);
    else printGroups(out, groups);
  });
}

import type { Command } from "commander";
import { examples, type Context } from "../../../context.js";

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("delete")
    .description("delete a technician group; refused while any technician (removed ones too) is in it (admins only)")
    .argument("<name>", "group name")
    .option("--json", "print the deleted group as JSON");
  examples(cmd, "rescue admin group delete Other", "rescue admin technician set eve@example.com --group Support && rescue admin group delete Other");
  cmd.action(async (name: string, opts: { json?: boolean }) => {
    const group = await (await ctx.daemon()).deleteGroup(name);
    const out = ctx.printer(opts);
    if (opts.json) out.value(group);
    else out.info(`deleted group ${group.name}`);
  });
}

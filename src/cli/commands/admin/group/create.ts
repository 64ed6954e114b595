import type { Command } from "commander";
import { PERMISSIONS, type Permission } from "../../../../protocol/common.js";
import { examples, type Context } from "../../../context.js";
import { groupSettingOptions, groupSettings, parsePermissions, printGroups, type GroupOptions as Options } from "../permissions.js";

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("create")
    .description("create a technician group with its permissions (admins only)")
    .argument("<name>", "group name")
    .option("--permission <list>", `comma-separated: ${PERMISSIONS.join(", ")} (every session needs private, a Lens one lens too)`);
  groupSettingOptions(cmd);
  examples(cmd, "rescue admin group create Support --permission lens,private,pin,sms,link,email,record,chat");
  cmd.action((name: string, opts: Options) => run(ctx, name, opts));
}

async function run(ctx: Context, name: string, opts: Options): Promise<void> {
  const group = await (await ctx.daemon()).createGroup({
    name,
    permissions: parsePermissions(opts.permission ?? "") as Permission[],
    ...groupSettings(opts),
  });
  const out = ctx.printer(opts);
  if (opts.json) out.value(group);
  else printGroups(out, [group]);
}

import type { Command } from "commander";
import { PERMISSIONS, type Permission } from "../../../../protocol/common.js";
import { examples, type Context } from "../../../context.js";
import { groupSettingOptions, groupSettings, parsePermissions, printGroups, type GroupOptions as Options } from "../permissions.js";

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("set")
    .description("change a group's permissions or settings (admins only)")
    .argument("<name>", "group name")
    .option("--permission <list>", `the complete new comma-separated permission list: ${PERMISSIONS.join(", ")} (every session needs private, a Lens one lens too)`);
  groupSettingOptions(cmd);
  examples(
    cmd,
    "rescue admin group set Support --permission lens,private,pin,chat",
    "rescue admin group set Support --pin-expiry 10",
    "rescue admin group set Support --max-technicians 3",
  );
  cmd.action((name: string, opts: Options) => run(ctx, name, opts, cmd));
}

async function run(ctx: Context, name: string, opts: Options, cmd: Command): Promise<void> {
  if (opts.permission === undefined && opts.pinExpiry === undefined && opts.maxTechnicians === undefined) {
    cmd.error("error: nothing to change: pass --permission LIST, --pin-expiry MINUTES or --max-technicians N", { exitCode: 2, code: "rescue.usage" });
  }
  const group = await (await ctx.daemon()).patchGroup(name, {
    ...(opts.permission !== undefined ? { permissions: parsePermissions(opts.permission) as Permission[] } : {}),
    ...groupSettings(opts),
  });
  const out = ctx.printer(opts);
  if (opts.json) out.value(group);
  else printGroups(out, [group]);
}

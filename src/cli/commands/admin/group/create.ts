import type { Command } from "commander";
import { PERMISSIONS, type Permission } from "../../../../protocol/common.js";
import { examples, type Context } from "../../../context.js";
import { groupSettings, parsePermissions, printGroups } from "../permissions.js";

interface Options {
  permission?: string;
  pinExpiry?: string;
  maxTechnicians?: string;
  json?: boolean;
}

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("create")
    .description("create a technician group with its permissions (admins only)")
    .argument("<name>", "group name")
    .option("--permission <list>", `comma-separated: ${PERMISSIONS.join(", ")} (every session needs private, a Lens one lens too)`)
    .option("--pin-expiry <minutes>", "how long a PIN stays valid")
    .option("--max-technicians <n>", "technicians in one session, the lead included (1-10; 5 unless set)")
    .option("--json", "print the group as JSON");
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

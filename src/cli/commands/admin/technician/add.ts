import type { Command } from "commander";
import { examples, type Context } from "../../../context.js";

interface Options {
  group: string;
  name?: string;
  admin?: boolean;
  json?: boolean;
}

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("add")
    .description("add a technician to a group; prints their generated password once (admins only)")
    .argument("<email>", "the technician's email")
    .requiredOption("--group <name>", "the technician group")
    .option("--name <name>", "display name")
    .option("--admin", "make them an administrator")
    .option("--json", 'print {"email", "password"} as JSON');
  examples(cmd, "rescue admin technician add bob@example.com --group Support --json");
  cmd.action((email: string, opts: Options) => run(ctx, email, opts));
}

async function run(ctx: Context, email: string, opts: Options): Promise<void> {
  const added = await (await ctx.daemon()).addTechnician({
    email,
    group: opts.group,
    ...(opts.name ? { name: opts.name } : {}),
    admin: Boolean(opts.admin),
  });
  const out = ctx.printer(opts);
  if (opts.json) return out.value(added);
  if (out.tty) out.info(`added ${added.email}; their password is shown this once:`);
  out.line(added.password);
}

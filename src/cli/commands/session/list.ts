import type { Command } from "commander";
import { examples, type Context } from "../../context.js";
import { SESSION_COLUMNS } from "./format.js";

interface Options {
  status?: string;
  json?: boolean;
}

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("list")
    .description("list your sessions")
    .option("--status <status>", "only sessions in this status (connecting, waiting, active, on-hold, collaborating, closed ...)")
    .option("--json", "print the sessions as a JSON array");
  examples(cmd, "rescue session list", "rescue session list --status waiting --json");
  cmd.action((opts: Options) => run(ctx, opts));
}

async function run(ctx: Context, opts: Options): Promise<void> {
  const sessions = await (await ctx.daemon()).listSessions(opts.status);
  const out = ctx.printer(opts);
  if (opts.json) out.value(sessions);
  else out.table(sessions, SESSION_COLUMNS, "no sessions");
}

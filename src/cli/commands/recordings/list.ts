import type { Command } from "commander";
import { examples, type Context } from "../../context.js";

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("list")
    .description("list the recordings this daemon made")
    .option("--json", "print the recordings as a JSON array");
  examples(cmd, "rescue recordings list", "rescue recordings list --json");
  cmd.action((opts: { json?: boolean }) => run(ctx, opts));
}

async function run(ctx: Context, opts: { json?: boolean }): Promise<void> {
  const list = await (await ctx.daemon()).recordings();
  const out = ctx.printer(opts);
  if (opts.json) return out.value(list);
  out.table(
    list,
    [
      { header: "session", value: (r) => r.session },
      { header: "bytes", value: (r) => String(r.bytes) },
      { header: "duration", value: (r) => (r.durationMs === null ? "-" : `${(r.durationMs / 1000).toFixed(1)} s`) },
      { header: "path", value: (r) => r.path },
    ],
    "no recordings",
  );
}

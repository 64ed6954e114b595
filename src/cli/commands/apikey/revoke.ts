import type { Command } from "commander";
import { examples, type Context } from "../../context.js";

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("revoke")
    .description("revoke an API key: calls with it are refused from now on")
    .argument("<id>", "the key's id (rescue apikey list)")
    .option("--json", 'print {"id", "revoked": true}');
  examples(cmd, "rescue apikey revoke r4tq8zkm2wxhpa");
  cmd.action(async (id: string, opts: { json?: boolean }) => {
    await (await ctx.daemon()).revokeApiKey(id);
    const out = ctx.printer(opts);
    if (opts.json) return out.value({ id, revoked: true });
    out.info(`revoked API key ${id}`);
  });
}

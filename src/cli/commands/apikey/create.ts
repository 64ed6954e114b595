import type { Command } from "commander";
import { examples, type Context } from "../../context.js";

interface Options {
  name: string;
  json?: boolean;
}

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("create")
    .description("create an API key for the contact-center integration; the key is shown this once")
    .option("--name <name>", "what the key is for, to tell keys apart", "contact center")
    .option("--json", 'print the key as JSON: {"id", "name", "prefix", "createdAt", ..., "key"}');
  examples(cmd, "rescue apikey create --name 'CRM chat' --json", "KEY=$(rescue apikey create --name CRM)");
  cmd.action((opts: Options) => run(ctx, opts));
}

async function run(ctx: Context, opts: Options): Promise<void> {
  const created = await (await ctx.daemon()).createApiKey(opts.name);
  const out = ctx.printer(opts);
  if (opts.json) return out.value(created);
  if (out.tty) out.info(`created API key ${created.id} (${created.name}); it is shown this once:`);
  out.line(created.key);
}

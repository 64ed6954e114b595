import type { Command } from "commander";
import { examples, type Context } from "../../context.js";
import { printSession } from "./format.js";

interface Options {
  regenerate?: boolean;
  json?: boolean;
}

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("pin")
    .description("show a session's PIN, or with --regenerate create another PIN (the old one stops working)")
    .argument("<id>", "session id")
    .option("--regenerate", "issue a fresh PIN while no customer has joined; a session that timed out before its customer came is Connecting again")
    .option("--json", "print the session as JSON");
  examples(cmd, "rescue session pin k7m2qd9xw4hbte", "rescue session pin k7m2qd9xw4hbte --regenerate --json");
  cmd.action((id: string, opts: Options) => run(ctx, id, opts));
}

async function run(ctx: Context, id: string, opts: Options): Promise<void> {
  const client = await ctx.daemon();
  const session = opts.regenerate ? await client.sessionAction(id, "pin") : await client.getSession(id);
  printSession(ctx.printer(opts), session, ctx.io.now());
}

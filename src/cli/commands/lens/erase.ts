import type { Command } from "commander";
import { examples, type Context } from "../../context.js";
import { printLens } from "./print.js";

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("erase")
    .description("erase the newest drawing on the customer's picture, or all of them")
    .argument("<id>", "session id")
    .option("--all", "erase every drawing")
    .option("--json", 'print {"sessionId", "action", "delivery"}');
  examples(cmd, "rescue lens erase k7m2qd9xw4hbte", "rescue lens erase k7m2qd9xw4hbte --all --json");
  cmd.action(async (id: string, opts: { all?: boolean; json?: boolean }) => {
    const result = await (await ctx.daemon()).lens(id, { action: "erase", all: opts.all === true });
    printLens(ctx, opts, result, opts.all ? `erased every drawing in session ${id}` : `erased the newest drawing in session ${id}`);
  });
}

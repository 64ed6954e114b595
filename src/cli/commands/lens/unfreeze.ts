import type { Command } from "commander";
import { examples, type Context } from "../../context.js";
import { printLens } from "./print.js";

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("unfreeze")
    .description("back to the live picture after lens freeze")
    .argument("<id>", "session id")
    .option("--json", 'print {"sessionId", "action", "delivery"}');
  examples(cmd, "rescue lens unfreeze k7m2qd9xw4hbte");
  cmd.action(async (id: string, opts: { json?: boolean }) => {
    const result = await (await ctx.daemon()).lens(id, { action: "unfreeze" });
    printLens(ctx, opts, result, `the picture of session ${id} is live again`);
  });
}

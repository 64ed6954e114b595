import type { Command } from "commander";
import { examples, type Context } from "../../context.js";
import { printLens } from "./print.js";

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("freeze")
    .description("hold the current picture on both sides (drawings stay on it; the recording goes on)")
    .argument("<id>", "session id")
    .option("--json", 'print {"sessionId", "action", "delivery", "snapshot"?: {"path", "width", "height"}}');
  examples(cmd, "rescue lens freeze k7m2qd9xw4hbte", "rescue lens freeze k7m2qd9xw4hbte --json");
  cmd.action(async (id: string, opts: { json?: boolean }) => {
    const result = await (await ctx.daemon()).lens(id, { action: "freeze" });
    const still = result.snapshot ? `; the still is ${result.snapshot.path}` : "";
    printLens(ctx, opts, result, `froze the picture of session ${id}${still}`);
  });
}

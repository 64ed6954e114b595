import type { Command } from "commander";
import { examples, type Context } from "../../context.js";
import { UsageError } from "../../errors.js";
import { printLens } from "./print.js";

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("zoom")
    .description("ask the customer's camera to zoom (exits 1 when the device cannot)")
    .argument("<id>", "session id")
    .argument("<level>", "the camera's zoom factor, e.g. 1 (none) to 4")
    .option("--json", 'print {"sessionId", "action", "delivery", "applied", "reason"?}');
  examples(cmd, "rescue lens zoom k7m2qd9xw4hbte 2", "rescue lens zoom k7m2qd9xw4hbte 1 --json");
  cmd.action(async (id: string, raw: string, opts: { json?: boolean }) => {
    const level = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(level) || level < 0.1 || level > 100) throw new UsageError(`zoom level ${raw}: a number from 0.1 to 100`);
    const result = await (await ctx.daemon()).lens(id, { action: "zoom", level });
    printLens(ctx, opts, result, `the customer's camera zoomed to ${level}`);
  });
}

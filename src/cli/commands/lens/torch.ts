import type { Command } from "commander";
import { examples, type Context } from "../../context.js";
import { UsageError } from "../../errors.js";
import { printLens } from "./print.js";

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("torch")
    .description("switch the light of the customer's camera on or off (exits 1 when the device has none)")
    .argument("<id>", "session id")
    .argument("<state>", "on or off")
    .option("--json", 'print {"sessionId", "action", "delivery", "applied", "reason"?}');
  examples(cmd, "rescue lens torch k7m2qd9xw4hbte on", "rescue lens torch k7m2qd9xw4hbte off --json");
  cmd.action(async (id: string, state: string, opts: { json?: boolean }) => {
    if (state !== "on" && state !== "off") throw new UsageError(`torch ${state}: on or off`);
    const result = await (await ctx.daemon()).lens(id, { action: "torch", on: state === "on" });
    printLens(ctx, opts, result, `the customer's light is ${state}`);
  });
}

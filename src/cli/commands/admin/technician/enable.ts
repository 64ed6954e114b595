import type { Command } from "commander";
import { examples, type Context } from "../../../context.js";
import { printOffboard } from "../offboarded.js";

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("enable")
    .description("enable a disabled technician again: they log in with their password (admins only)")
    .argument("<email>", "the technician's email")
    .option("--json", 'print {"email", "group", "status", "revokedTokens", "endedSessions"} as JSON');
  examples(cmd, "rescue admin technician enable eve@example.com --json");
  cmd.action(async (email: string, opts: { json?: boolean }) => {
    printOffboard(ctx, opts, await (await ctx.daemon()).patchTechnician(email, { disabled: false }), "enabled");
  });
}

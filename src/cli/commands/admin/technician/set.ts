import type { Command } from "commander";
import { examples, type Context } from "../../../context.js";
import { printOffboard } from "../offboarded.js";

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("set")
    .description("move a technician to another group: its permissions apply from their next request on (admins only)")
    .argument("<email>", "the technician's email")
    .requiredOption("--group <name>", "the group to move them to")
    .option("--json", 'print {"email", "group", "status", "revokedTokens", "endedSessions"} as JSON');
  examples(cmd, "rescue admin technician set eve@example.com --group 'Tier 2' --json");
  cmd.action(async (email: string, opts: { group: string; json?: boolean }) => {
    printOffboard(ctx, opts, await (await ctx.daemon()).patchTechnician(email, { group: opts.group }), "moved");
  });
}

import type { Command } from "commander";
import { examples, type Context } from "../../../context.js";
import { printOffboard } from "../offboarded.js";

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("disable")
    .description("disable a technician (reversible): their tokens are revoked and their connections closed at once. Refused while they lead live sessions unless --force (admins only)")
    .argument("<email>", "the technician's email")
    .option("--force", "end the live sessions they lead (transfer them first to keep them going)")
    .option("--json", 'print {"email", "group", "status", "revokedTokens", "endedSessions"} as JSON');
  examples(cmd, "rescue admin technician disable eve@example.com", "rescue admin technician disable eve@example.com --force --json");
  cmd.action(async (email: string, opts: { force?: boolean; json?: boolean }) => {
    printOffboard(ctx, opts, await (await ctx.daemon()).patchTechnician(email, { disabled: true, force: Boolean(opts.force) }), "disabled");
  });
}

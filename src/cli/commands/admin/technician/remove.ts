import type { Command } from "commander";
import { examples, type Context } from "../../../context.js";
import { printOffboard } from "../offboarded.js";

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("remove")
    .description(
      "remove a technician for good: their tokens are revoked and their connections closed at once; the session log keeps their address. Refused while they lead live sessions unless --force (admins only)",
    )
    .argument("<email>", "the technician's email")
    .option("--force", "end the live sessions they lead (transfer them first to keep them going)")
    .option("--json", 'print {"email", "group", "status", "revokedTokens", "endedSessions"} as JSON');
  examples(cmd, "rescue admin technician remove eve@example.com", "rescue admin technician remove eve@example.com --force --json");
  cmd.action(async (email: string, opts: { force?: boolean; json?: boolean }) => {
    printOffboard(ctx, opts, await (await ctx.daemon()).removeTechnician(email, Boolean(opts.force)), "removed");
  });
}

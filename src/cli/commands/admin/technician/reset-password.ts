import type { Command } from "commander";
import { examples, type Context } from "../../../context.js";

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("reset-password")
    .description("give a technician a new generated password, shown once; every login token of theirs is revoked and their connections closed (admins only)")
    .argument("<email>", "the technician's email")
    .option("--json", 'print {"email", "password", "revokedTokens"} as JSON');
  examples(cmd, "rescue admin technician reset-password eve@example.com --json");
  cmd.action(async (email: string, opts: { json?: boolean }) => {
    const reset = await (await ctx.daemon()).resetPassword(email);
    const out = ctx.printer(opts);
    if (opts.json) return out.value(reset);
    if (out.tty) out.info(`new password for ${reset.email}, shown this once (${reset.revokedTokens} old token${reset.revokedTokens === 1 ? "" : "s"} revoked):`);
    out.line(reset.password);
  });
}

import type { Command } from "commander";
import { examples, type Context } from "../context.js";
import { reloadRunningDaemon } from "./reload.js";

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("logout")
    .description("log out: revoke the token on the server and forget it here")
    .option("--json", "print the result as JSON");
  examples(cmd, "rescue logout");
  cmd.action((opts: { json?: boolean }) => run(ctx, opts));
}

async function run(ctx: Context, opts: { json?: boolean }): Promise<void> {
  const { readProfile, clearProfile } = await import("../../profile/config.js");
  const { account, deleteToken, loadToken } = await import("../../profile/credentials.js");
  const out = ctx.printer(opts);
  const profile = readProfile(ctx.paths.home);
  if (!profile) {
    if (opts.json) out.value({ loggedOut: false });
    else out.info("not logged in");
    return;
  }
  const acct = account(profile.server, profile.email);
  const token = await loadToken(ctx.paths.secrets, acct, profile.storage, ctx.warn);
  let revoked = false;
  if (token) {
    // Best effort: the token is forgotten here even when the server cannot be told.
    try {
      const res = await fetch(new URL("/api/v1/auth/logout", profile.server), {
        method: "POST",
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(3000),
      });
      revoked = res.ok;
    } catch {
      revoked = false;
    }
  }
  await deleteToken(ctx.paths.secrets, acct, profile.storage);
  clearProfile(ctx.paths.home);
  await reloadRunningDaemon(ctx);
  if (opts.json) out.value({ loggedOut: true, server: profile.server, email: profile.email, revoked });
  else out.info(`logged out ${profile.email} from ${profile.server}${revoked ? "" : " (the server could not be told)"}`);
}

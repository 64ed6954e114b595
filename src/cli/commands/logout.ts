import type { Command } from "commander";
import { examples, type Context } from "../context.js";
import { DaemonUnavailable } from "../errors.js";
import { liveSessionsOf, liveSessionsText } from "./live-sessions.js";
import { reloadRunningDaemon } from "./reload.js";

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("logout")
    .description("log out: revoke the token on the server and forget it here; refused while sessions are live here, unless --force")
    .option("--force", "log out even with live sessions: their media and recording stop here (the sessions stay open on the server: end or transfer them from another login)")
    .option("--json", "print the result as JSON");
  examples(cmd, "rescue logout", "rescue logout --force   # leaving a shared machine with a session still live");
  cmd.action((opts: { json?: boolean; force?: boolean }) => run(ctx, opts));
}

/**
 * The live sessions of a running daemon of this profile: logging out while the customer's camera
 * still streams into it would leave media and a recording growing with nobody logged in.
 */
async function liveHere(ctx: Context): Promise<{ id: string }[]> {
  try {
    return await liveSessionsOf(await ctx.daemon({ autostart: false }));
  } catch (e) {
    if (e instanceof DaemonUnavailable) return [];
    throw e;
  }
}

async function run(ctx: Context, opts: { json?: boolean; force?: boolean }): Promise<void> {
  const { readProfile, clearProfile } = await import("../../profile/config.js");
  const { account, deleteToken, loadToken } = await import("../../profile/credentials.js");
  const out = ctx.printer(opts);
  const profile = readProfile(ctx.paths.home);
  if (!profile) {
    if (opts.json) out.value({ loggedOut: false });
    else out.info("not logged in");
    return;
  }
  const live = await liveHere(ctx);
  if (live.length > 0 && !opts.force) {
    const { RescueError } = await import("../../protocol/errors.js");
    throw new RescueError(
      "conflict",
      `${liveSessionsText(live)} run${live.length === 1 ? "s" : ""} through this login: end or transfer ${live.length === 1 ? "it" : "them"} first, or log out with --force (the media and recording stop here)`,
    );
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
  if (live.length > 0) ctx.io.stderr.write(`warning: the media and recording of ${liveSessionsText(live)} stopped here; the session${live.length === 1 ? " stays" : "s stay"} open on the server\n`);
  if (opts.json) out.value({ loggedOut: true, server: profile.server, email: profile.email, revoked });
  else out.info(`logged out ${profile.email} from ${profile.server}${revoked ? "" : " (the server could not be told)"}`);
}

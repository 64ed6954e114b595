import type { Context } from "../context.js";
import { DaemonUnavailable } from "../errors.js";

/** A running daemon picks up a new login (or a logout) now; one that is not running will at start. */
export async function reloadRunningDaemon(ctx: Context): Promise<void> {
  try {
    await (await ctx.daemon({ autostart: false })).reload();
  } catch (e) {
    if (!(e instanceof DaemonUnavailable)) throw e;
  }
}

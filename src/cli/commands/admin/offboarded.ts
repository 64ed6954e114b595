import type { OffboardResult } from "../../../protocol/api.js";
import type { Context } from "../../context.js";

/** Prints what an off-boarding verb did: the JSON as it came, or one line per fact on stderr. */
export function printOffboard(ctx: Context, opts: { json?: boolean }, done: OffboardResult, verb: string): void {
  const out = ctx.printer(opts);
  if (opts.json) return out.value(done);
  out.info(`${verb} ${done.email} (group ${done.group}, now ${done.status})`);
  if (done.revokedTokens > 0) out.info(`revoked ${done.revokedTokens} login token${done.revokedTokens > 1 ? "s" : ""}; their connections were closed`);
  for (const id of done.endedSessions) out.info(`ended session ${id}`);
}

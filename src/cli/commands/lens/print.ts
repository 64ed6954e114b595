import type { LensResult } from "../../../protocol/lens.js";
import type { Context } from "../../context.js";
import { ExitWith } from "../../errors.js";
import { visible } from "../../output.js";

/**
 * Prints a Lens action's result: the JSON with --json, else `done` (and that a collaborator's
 * was delivered by the lead's daemon, which confirmed it). A camera request the device did not apply exits 1 after saying why.
 */
export function printLens(ctx: Context, opts: { json?: boolean }, result: LensResult, done: string): void {
  const out = ctx.printer(opts);
  if (opts.json) out.value(result);
  else if (result.applied !== false) out.info(result.delivery === "relayed" ? `${done} (delivered through the lead technician's connection)` : done);
  if (result.applied === false) {
    if (!opts.json) ctx.io.stderr.write(`rescue: the customer's camera did not do it: ${visible(result.reason ?? "refused")}\n`);
    throw new ExitWith(1);
  }
}

import type { DaemonEvent, Session } from "../../../protocol/index.js";
import type { Context } from "../../context.js";
import type { DaemonClient } from "../../daemon/client.js";
import { DaemonUnavailable } from "../../errors.js";

/** How a follow ended: the session reached `status` (closed, timed-out ...), or Ctrl-C. */
export type FollowEnd = { why: "ended"; status: string } | { why: "interrupted" };

/**
 * Follows session `id` on the daemon's event stream until it ends or the user interrupts.
 * Subscribes before anything is read, so `before` (given the session as it is) can print the
 * history and nothing that happens meanwhile is lost: each later event goes to `onEvent`.
 * Throws what getSession throws (not_found: exit 6), DaemonUnavailable when the daemon stops,
 * and the `--jq` filter's first failure as soon as it happens (ctx.outputFailed).
 */
export async function followSession(
  ctx: Context,
  client: DaemonClient,
  id: string,
  handlers: { before?(session: Session): Promise<void> | void; onEvent?(e: DaemonEvent): void },
): Promise<FollowEnd> {
  const { TERMINAL_STATUSES } = await import("../../../protocol/index.js");
  const stream = await client.events();
  let interrupted = false;
  const onAbort = () => {
    interrupted = true;
    stream.close();
  };
  // A failed --jq filter ends the stream now: waiting for the session to end would hide the error for hours.
  const onOutputFailed = () => stream.close();
  const failed = () => {
    if (ctx.outputFailed.aborted) throw ctx.outputFailed.reason;
  };
  ctx.io.signal.addEventListener("abort", onAbort);
  ctx.outputFailed.addEventListener("abort", onOutputFailed);
  try {
    if (ctx.io.signal.aborted) return { why: "interrupted" };
    const session = await client.getSession(id);
    await handlers.before?.(session);
    if (TERMINAL_STATUSES.includes(session.status)) return { why: "ended", status: session.status };
    try {
      for await (const e of stream.events) {
        failed();
        handlers.onEvent?.(e);
        const s = e.type === "session" ? e.session : e.type === "sessions" ? e.sessions.find((x) => x.id === session.id) : undefined;
        if (s?.id === session.id && TERMINAL_STATUSES.includes(s.status)) return { why: "ended", status: s.status };
      }
    } catch (e) {
      failed();
      if (!interrupted) throw e;
    }
    failed();
    if (interrupted) return { why: "interrupted" };
    throw new DaemonUnavailable("rescued stopped while following the session: run rescue daemon start");
  } finally {
    ctx.io.signal.removeEventListener("abort", onAbort);
    ctx.outputFailed.removeEventListener("abort", onOutputFailed);
    stream.close();
  }
}

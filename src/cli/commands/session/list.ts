import type { Command } from "commander";
import type { Session } from "../../../protocol/session.js";
import { examples, type Context } from "../../context.js";
import { DaemonUnavailable } from "../../errors.js";
import type { Printer } from "../../output.js";
import { SESSION_COLUMNS } from "./format.js";

interface Options {
  status?: string;
  watch?: boolean;
  json?: boolean;
}

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("list")
    .description("list your sessions; the last column tells a customer who dropped off: AWAY, back by TIME (the session is aborted then), or paused")
    .option("--status <status>", "only sessions in this status (connecting, waiting, active, on-hold, collaborating, closed ...)")
    .option("--watch", "keep listing: show the list again on every change, from the daemon's event stream (Ctrl-C ends)")
    .option("--json", "print the sessions as a JSON array (with --watch: one array per line)");
  examples(
    cmd,
    "rescue session list",
    "rescue session list --status waiting --json",
    "rescue session list --watch",
    "rescue session list --json --jq '.[] | select(.customer.away) | .id'",
  );
  cmd.action((opts: Options) => run(ctx, opts));
}

function show(out: Printer, sessions: Session[], watching: boolean): void {
  if (out.json) return out.value(sessions);
  if (watching && out.tty) out.control("\x1b[2J\x1b[H"); // a fresh screen per update
  out.table(sessions, SESSION_COLUMNS, "no sessions");
  if (watching && !out.tty) out.line("");
}

async function run(ctx: Context, opts: Options): Promise<void> {
  const client = await ctx.daemon();
  const out = ctx.printer(opts);
  if (!opts.watch) return show(out, await client.listSessions(opts.status), false);

  // Subscribe, then read the list: no change can fall between the two.
  const stream = await client.events();
  const onAbort = () => stream.close();
  ctx.io.signal.addEventListener("abort", onAbort);
  // A failed --jq filter ends the watch at once (see Context.outputFailed).
  ctx.outputFailed.addEventListener("abort", onAbort);
  try {
    const byId = new Map((await client.listSessions(opts.status)).map((s) => [s.id, s]));
    const wanted = (s: Session) => !opts.status || s.status === opts.status;
    show(out, [...byId.values()], true);
    for await (const e of stream.events) {
      if (ctx.outputFailed.aborted) break;
      if (e.type === "sessions") {
        byId.clear();
        for (const s of e.sessions) if (wanted(s)) byId.set(s.id, s);
      } else if (e.type === "session") {
        if (wanted(e.session)) byId.set(e.session.id, e.session);
        else if (!byId.delete(e.session.id)) continue;
      } else {
        continue;
      }
      show(out, [...byId.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt)), true);
    }
    if (ctx.outputFailed.aborted) throw ctx.outputFailed.reason;
    if (!ctx.io.signal.aborted) throw new DaemonUnavailable("rescued stopped: run rescue daemon start");
  } finally {
    ctx.io.signal.removeEventListener("abort", onAbort);
    ctx.outputFailed.removeEventListener("abort", onAbort);
    stream.close();
  }
}

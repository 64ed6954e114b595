import type { Command } from "commander";
import type { Session } from "../../../protocol/session.js";
import { examples, type Context } from "../../context.js";
import { DaemonUnavailable, Interrupted, UsageError } from "../../errors.js";
import { printSession } from "./format.js";
import { waitProgress } from "./wait-progress.js";

interface Options {
  status: string;
  any?: boolean;
  timeout?: string;
  json?: boolean;
}

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("wait")
    .description("wait until a session reaches a status, following the daemon's event stream (exit 8 on timeout)")
    .argument("[id]", "session id (or --any)")
    .requiredOption("--status <status>", "the status to wait for (waiting, active, closed ...)")
    .option("--any", "any of your sessions: the first one in that status (the oldest, if some already are)")
    .option("--timeout <seconds>", "give up after this many seconds (exit 8)")
    .option("--json", "print the session as JSON once it is there");
  examples(
    cmd,
    "rescue session wait k7m2qd9xw4hbte --status waiting --timeout 300 && rescue session start k7m2qd9xw4hbte",
    "rescue session wait k7m2qd9xw4hbte --status closed --json",
    "while s=$(rescue session wait --any --status waiting --json); do rescue session start \"$(echo \"$s\" | jq -r .id)\"; done",
  );
  cmd.action((id: string | undefined, opts: Options) => run(ctx, id, opts));
}

async function run(ctx: Context, id: string | undefined, opts: Options): Promise<void> {
  const { RescueError, SessionStatus, TERMINAL_STATUSES } = await import("../../../protocol/index.js");
  if ((id === undefined) === !opts.any) throw new UsageError("give a session id or --any");
  if (!SessionStatus.safeParse(opts.status).success) throw new UsageError(`--status ${opts.status}: one of ${SessionStatus.options.join(", ")}`);
  let timeoutMs: number | undefined;
  if (opts.timeout !== undefined) {
    const sec = Number(opts.timeout);
    if (!Number.isFinite(sec) || sec < 0) throw new UsageError(`--timeout ${opts.timeout}: a number of seconds`);
    timeoutMs = sec * 1000;
  }
  const client = await ctx.daemon();
  // Subscribe first, then look: a change between the two cannot be missed.
  const stream = await client.events();
  let why: "timeout" | "interrupt" | null = null;
  const stop = (reason: "timeout" | "interrupt") => {
    why ??= reason;
    stream.close();
  };
  const timer = timeoutMs === undefined ? null : setTimeout(() => stop("timeout"), timeoutMs);
  const onAbort = () => stop("interrupt");
  ctx.io.signal.addEventListener("abort", onAbort);
  const settled = (s: Session): boolean => {
    if (s.status === opts.status) return true;
    if (id !== undefined && TERMINAL_STATUSES.includes(s.status)) throw new Error(`session ${id} ended as ${s.status} before it was ${opts.status}`);
    return false;
  };
  // While the daemon reconnects it cannot answer; the snapshot that follows the reconnect will.
  const look = async (): Promise<Session | undefined> => {
    try {
      if (id === undefined) return oldest(await client.listSessions(opts.status));
      return await client.getSession(id);
    } catch (e) {
      if (e instanceof RescueError && e.code === "unavailable") return undefined;
      throw e;
    }
  };
  const progress = waitProgress(ctx.io, { ...(id === undefined ? {} : { id }), status: opts.status, ...(opts.json ? { json: true } : {}) });
  try {
    let found: Session | undefined = await look();
    progress.seen(found);
    if (!found || !settled(found)) {
      found = undefined;
      try {
        for await (const e of stream.events) {
          let s: Session | undefined;
          if (e.type === "session" && (id === undefined || e.session.id === id)) s = e.session;
          // A snapshot holds live and recently ended sessions; an older one is asked for.
          else if (e.type === "sessions") s = id === undefined ? oldest(e.sessions.filter(settled)) : (e.sessions.find((x) => x.id === id) ?? (await look()));
          progress.seen(s);
          if (s && settled(s)) {
            found = s;
            break;
          }
        }
      } catch (e) {
        if (!why) throw e;
      }
    }
    if (!found) {
      if (why === "timeout") throw new RescueError("timeout", `${id === undefined ? "no session is" : `session ${id} is not`} ${opts.status} after ${opts.timeout} s`);
      if (why === "interrupt") throw new Interrupted();
      throw new DaemonUnavailable("rescued stopped while waiting: run rescue daemon start");
    }
    progress.stop();
    printSession(ctx.printer(opts), found, ctx.io.now());
  } finally {
    progress.stop();
    if (timer) clearTimeout(timer);
    ctx.io.signal.removeEventListener("abort", onAbort);
    stream.close();
  }
}

function oldest(sessions: Session[]): Session | undefined {
  return sessions.reduce<Session | undefined>((a, s) => (a && a.statusSince <= s.statusSince ? a : s), undefined);
}

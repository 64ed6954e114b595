import type { Command } from "commander";
import type { DaemonStatus } from "../../../protocol/localapi.js";
import { examples, type Context } from "../../context.js";
import { DaemonUnavailable } from "../../errors.js";
import { relativeTime, type Printer } from "../../output.js";

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("status")
    .description(
      "show whether rescued runs and its connection to the server (exit 3 when it does not run); backend.state is connected, connecting, reconnecting, logged-out or signed-in-elsewhere (another daemon with this login took over: rescue login here takes it back)",
    )
    .option("--json", "print the daemon status as JSON");
  examples(cmd, "rescue daemon status", "rescue daemon status --json", "rescue daemon status --json | jq -r .backend.state");
  cmd.action((opts: { json?: boolean }) => run(ctx, opts));
}

export function showStatus(ctx: Context, out: Printer, s: DaemonStatus): void {
  if (out.json) return out.value({ running: true, ...s });
  const backend = `${s.backend.state}${s.backend.lastError ? ` (${s.backend.lastError})` : ""}`;
  if (!out.tty) return out.line([s.pid, s.backend.state, s.server ?? "-", s.technician ?? "-"].join("\t"));
  const now = ctx.io.now();
  out.line(`rescued ${s.version}, pid ${s.pid}, started ${relativeTime(s.startedAt, now)}`);
  out.line(`home     ${s.home}`);
  out.line(`server   ${s.server ?? "not logged in"}${s.technician ? ` as ${s.technician}` : ""}`);
  out.line(`backend  ${backend}, since ${relativeTime(s.backend.since, now)}`);
}

async function run(ctx: Context, opts: { json?: boolean }): Promise<void> {
  const out = ctx.printer(opts);
  try {
    showStatus(ctx, out, await (await ctx.daemon({ autostart: false })).status());
  } catch (e) {
    if (e instanceof DaemonUnavailable && opts.json) out.value({ running: false });
    if (e instanceof DaemonUnavailable) throw new DaemonUnavailable("rescued is not running: run rescue daemon start");
    throw e;
  }
}

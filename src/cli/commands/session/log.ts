import type { Command } from "commander";
import type { SessionLogEntry } from "../../../protocol/session.js";
import { examples, type Context } from "../../context.js";
import { relativeTime } from "../../output.js";

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("log")
    .description("show a session's log: created, pin-issued, sms-sent, eula-accepted, started, chat ...")
    .argument("<id>", "session id")
    .option("--json", "print the entries as a JSON array");
  examples(cmd, "rescue session log k7m2qd9xw4hbte", "rescue session log k7m2qd9xw4hbte --json | jq '.[].event'");
  cmd.action((id: string, opts: { json?: boolean }) => run(ctx, id, opts));
}

function details(e: SessionLogEntry): string {
  return Object.entries(e)
    .filter(([k]) => k !== "at" && k !== "event")
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" ");
}

async function run(ctx: Context, id: string, opts: { json?: boolean }): Promise<void> {
  const entries = await (await ctx.daemon()).sessionLog(id);
  const out = ctx.printer(opts);
  if (opts.json) return out.value(entries);
  out.table(
    entries,
    [
      { header: "at", value: (e) => e.at, human: (e, now) => relativeTime(e.at, now) },
      { header: "event", value: (e) => e.event },
      { header: "details", value: details },
    ],
    "the log is empty",
  );
}

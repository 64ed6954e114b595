import type { Command } from "commander";
import { resolve } from "node:path";
import { examples, type Context } from "../../context.js";

interface Options {
  record: boolean;
  recordPath?: string;
  json?: boolean;
}

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("start")
    .description("start a waiting session: live video and audio, recorded unless --no-record")
    .argument("<id>", "session id")
    .option("--no-record", "do not record this session")
    .option("--record-path <file>", "write the recording here instead of RESCUE_HOME/recordings (0600; a new folder is made 0700, an existing one open to others is warned about)")
    .option("--json", "print the result as JSON");
  examples(cmd, "rescue session start k7m2qd9xw4hbte", "rescue session start k7m2qd9xw4hbte --no-record --json");
  cmd.action((id: string, opts: Options) => run(ctx, id, opts));
}

async function run(ctx: Context, id: string, opts: Options): Promise<void> {
  const client = await ctx.daemon();
  const started = await client.startSession(id, {
    record: opts.record,
    ...(opts.recordPath ? { recordPath: resolve(opts.recordPath) } : {}),
  });
  const out = ctx.printer(opts);
  for (const w of started.warnings ?? []) out.info(`warning: ${w}`);
  if (opts.json) out.value(started);
  else if (out.tty) out.line(`session ${started.id} is active${started.recording ? `, recording to ${started.recording}` : ""}`);
  else out.line([started.id, started.status, started.recording ?? ""].join("\t"));
}

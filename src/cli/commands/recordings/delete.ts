import type { Command } from "commander";
import { examples, type Context } from "../../context.js";
import { UsageError } from "../../errors.js";
import { recordingRef } from "./ref.js";

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("delete")
    .description("delete a recording with its manifest and timeline (asks first on a terminal)")
    .argument("<id|path>", "a session id (all its segments) or a recording's path (in the recordings folder, or where --record-path put it)")
    .option("-y, --yes", "delete without asking (needed when stdin is not a terminal)")
    .option("--json", "print the removed files as JSON: {\"deleted\": [PATH, ...]}");
  examples(cmd, "rescue recordings delete k7m2qd9xw4hbte", "rescue recordings delete k7m2qd9xw4hbte --yes --json", "rescue recordings delete ~/cases/visit.webm --yes");
  cmd.addHelpText("after", "\nOnly recordings the daemon made are deleted: files in its recordings folder, and those it wrote for a session with\n`session start --record-path`. Symlinks, other paths and a recording being written are refused (exit 5).\n");
  cmd.action((ref: string, opts: { yes?: boolean; json?: boolean }) => run(ctx, ref, opts));
}

async function run(ctx: Context, ref: string, opts: { yes?: boolean; json?: boolean }): Promise<void> {
  const client = await ctx.daemon();
  const target = recordingRef(ref);
  if (!opts.yes) {
    if (!ctx.io.stdinIsTTY) throw new UsageError("recordings delete asks before deleting: pass --yes when stdin is not a terminal");
    const segments = await client.showRecordings(target);
    const { ask } = await import("../../prompt.js");
    const list = segments.map((s) => `  ${s.path}`).join("\n");
    const answer = await ask(ctx.io, `${list}\ndelete ${segments.length === 1 ? "this recording" : `these ${segments.length} recordings`} and their manifests? [y/N] `, false);
    if (!/^y(es)?$/i.test(answer.trim())) {
      ctx.io.stderr.write("nothing deleted\n");
      if (opts.json) ctx.printer(opts).value({ deleted: [] });
      return;
    }
  }
  const { deleted } = await client.deleteRecordings(target);
  const out = ctx.printer(opts);
  if (opts.json) return out.value({ deleted });
  for (const path of deleted) out.info(`deleted ${path}`);
}

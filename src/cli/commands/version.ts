import type { Command } from "commander";
import { packageVersion } from "../../profile/package.js";
import { examples, type Context } from "../context.js";

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("version")
    .description("print the version of rescue (also rescue --version)")
    .option("--json", "print the version and the Node.js it runs on as JSON");
  examples(cmd, "rescue version", "rescue version --json | jq -r .version");
  cmd.action((opts: { json?: boolean }) => {
    const out = ctx.printer(opts);
    if (opts.json) out.value({ version: packageVersion(), node: process.version });
    else out.line(packageVersion());
  });
}

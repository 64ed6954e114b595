import type { Command } from "commander";
import { examples, type Context } from "../context.js";
import { NotLoggedIn } from "../errors.js";

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("whoami")
    .description("show who is logged in, on which server, and where the token is stored")
    .option("--json", "print as JSON: server, email, name, group, storage (keychain or file)");
  examples(cmd, "rescue whoami", "rescue whoami --json");
  cmd.action((opts: { json?: boolean }) => run(ctx, opts));
}

async function run(ctx: Context, opts: { json?: boolean }): Promise<void> {
  const { readProfile } = await import("../../profile/config.js");
  const { account, loadToken } = await import("../../profile/credentials.js");
  const profile = readProfile(ctx.paths.home);
  if (!profile || !(await loadToken(ctx.paths.secrets, account(profile.server, profile.email), profile.storage, ctx.warn))) {
    throw new NotLoggedIn();
  }
  const out = ctx.printer(opts);
  const info = {
    server: profile.server,
    email: profile.email,
    name: profile.name ?? null,
    group: profile.group ?? null,
    storage: profile.storage,
    ...(profile.storage === "file" ? { file: ctx.paths.secrets } : {}),
  };
  if (opts.json) out.value(info);
  else if (out.tty) out.line(`${info.email} on ${info.server}${info.group ? ` (group ${info.group})` : ""}, token in the ${info.storage}`);
  else out.line([info.email, info.server, info.storage].join("\t"));
}

import type { Command } from "commander";
import { examples, type Context } from "../../context.js";
import { relativeTime } from "../../output.js";

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("list")
    .description("list your API keys, revoked ones included (the keys themselves are never shown again)")
    .option("--json", "print the keys as a JSON array");
  examples(cmd, "rescue apikey list", "rescue apikey list --json");
  cmd.action(async (opts: { json?: boolean }) => {
    const keys = await (await ctx.daemon()).listApiKeys();
    const out = ctx.printer(opts);
    if (opts.json) return out.value(keys);
    out.table(
      keys,
      [
        { header: "id", value: (k) => k.id },
        { header: "name", value: (k) => k.name },
        { header: "prefix", value: (k) => k.prefix },
        { header: "created", value: (k) => k.createdAt, human: (k, now) => relativeTime(k.createdAt, now) },
        { header: "last used", value: (k) => k.lastUsedAt ?? "-", human: (k, now) => relativeTime(k.lastUsedAt, now) },
        { header: "revoked", value: (k) => k.revokedAt ?? "-", human: (k, now) => relativeTime(k.revokedAt, now) },
      ],
      "no API keys",
    );
  });
}

import type { Command } from "commander";
import { examples, type Context } from "../../context.js";
import { UsageError } from "../../errors.js";

interface Options {
  pin?: string;
  link?: string;
  server?: string;
  json?: boolean;
}

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("join")
    .description("join a session you were invited to; an external technician needs no login, only the invitation")
    .option("--pin <pin>", "the invitation's PIN")
    .option("--link <url>", "the invitation's link (it holds the server and the PIN)")
    .option("--server <url>", "the server, when this console is not logged in (external technicians)")
    .option("--json", "print {invitation, session, as} as JSON");
  examples(cmd, "rescue join --pin 123456", "rescue join --pin 123456 --server https://rescue.example.com --json", "rescue join --link https://rescue.example.com/collaborate/123456");
  cmd.action((opts: Options) => run(ctx, opts));
}

/** `--link URL` is `SERVER/collaborate/PIN`. */
function target(opts: Options): { pin: string; server?: string } {
  if (opts.link) {
    if (opts.pin) throw new UsageError("pass --pin or --link, not both");
    let url: URL;
    try {
      url = new URL(opts.link);
    } catch {
      throw new UsageError(`--link: not a URL: ${opts.link}`);
    }
    const pin = /\/collaborate\/(\d{6})\/?$/.exec(url.pathname)?.[1];
    if (!pin) throw new UsageError("--link: expected SERVER/collaborate/PIN");
    return { pin, server: opts.server ?? url.origin };
  }
  if (!opts.pin) throw new UsageError("pass --pin PIN or --link URL");
  return { pin: opts.pin, ...(opts.server ? { server: opts.server } : {}) };
}

async function run(ctx: Context, opts: Options): Promise<void> {
  const req = target(opts);
  // Loaded only when run: every command registers this one, startup stays light.
  const { JoinResponse } = await import("../../../protocol/index.js");
  const client = await ctx.daemon();
  const out = await client.call("POST", "/api/v1/join", JoinResponse.omit({ token: true }), req);
  const p = ctx.printer(opts);
  if (opts.json) return p.value(out);
  const inv = out.invitation;
  p.info(`joined session ${out.session.id} of ${inv.from} as ${out.as}; you may: ${inv.permissions.join(", ")}`);
  if (inv.comment) p.info(`comment: ${inv.comment}`);
  p.line(out.session.id);
}

import type { Command } from "commander";
import type { InviteRequest } from "../../../protocol/index.js";
import { examples, type Context } from "../../context.js";
import { UsageError } from "../../errors.js";

interface Options {
  session: string;
  internal?: string;
  external?: boolean;
  pin?: boolean;
  email?: string;
  link?: boolean;
  to?: string;
  permission?: string;
  comment?: string;
  json?: boolean;
}

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("invite")
    .description("invite another technician into an Active session, with chosen permissions and a comment")
    .requiredOption("--session <id>", "the session (yours, Active)")
    .option("--internal <email>", "a technician of your organisation")
    .option("--external", "an external technician, reached by --pin, --email or --link")
    .option("--pin", "external: show a PIN to read out")
    .option("--email <address>", "external: mail the invitation")
    .option("--link", "external: show a link to send")
    .option("--to <email>", "external with --pin or --link: who it is for (an approved technician, or a label for an unlisted one)")
    .option("--permission <list>", "what the invitee may do: view,chat,talk,annotate,record (default view,chat)")
    .option("--comment <text>", "a message the invitee sees")
    .option("--json", "print {invitation, pin, link} as JSON");
  examples(
    cmd,
    "rescue invite --session k7m2qd9xw4hbte --internal ann@example.com --permission view,chat,talk --comment 'router issue'",
    "rescue invite --session k7m2qd9xw4hbte --external --link --permission view --json",
  );
  cmd.action((opts: Options) => run(ctx, opts));
}

/** "--permission view,chat" -> ["view", "chat"]; the server validates the names. */
function permissionList(raw: string): string[] {
  return raw.split(",").map((p) => p.trim()).filter(Boolean);
}

function request(opts: Options): InviteRequest {
  const methods = [opts.pin, opts.email, opts.link].filter(Boolean).length;
  if (Boolean(opts.internal) === Boolean(opts.external)) throw new UsageError("pass one of --internal EMAIL or --external");
  const permissions = opts.permission ? (permissionList(opts.permission) as InviteRequest["permissions"]) : undefined;
  const common = { ...(permissions ? { permissions } : {}), ...(opts.comment ? { comment: opts.comment } : {}) };
  if (opts.internal) {
    if (methods > 0 || opts.to) throw new UsageError("--pin, --email, --link and --to are for --external");
    return { kind: "internal", via: "email", to: opts.internal, ...common };
  }
  if (methods !== 1) throw new UsageError("--external needs one of --pin, --email ADDRESS or --link");
  const via = opts.pin ? "pin" : opts.email ? "email" : "link";
  if (opts.email && opts.to) throw new UsageError("--email already names the technician; drop --to");
  const to = opts.email ?? opts.to;
  return { kind: "external", via, ...(to ? { to } : {}), ...common };
}

async function run(ctx: Context, opts: Options): Promise<void> {
  const req = request(opts);
  // Loaded only when run: every command registers this one, startup stays light.
  const { InviteResponse } = await import("../../../protocol/index.js");
  const client = await ctx.daemon();
  const out = await client.call("POST", `/api/v1/sessions/${encodeURIComponent(opts.session)}/invitations`, InviteResponse, req);
  const p = ctx.printer(opts);
  if (opts.json) return p.value(out);
  const inv = out.invitation;
  p.info(`invited ${inv.to ?? `an external technician`} to session ${inv.sessionId} (${inv.permissions.join(", ")})`);
  if (out.link) p.line(out.link);
  else if (out.pin) p.line(out.pin);
}

import type { Command } from "commander";
import type { CollaboratorPatch } from "../../../protocol/index.js";
import { examples, type Context } from "../../context.js";
import { parsePermissions } from "../admin/permissions.js";

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("set")
    .description("change what a collaborating technician may do")
    .argument("<session>", "session id")
    .argument("<collaborator>", "the collaborator's id or email (see rescue session list --json)")
    .requiredOption("--permission <list>", "view,chat,talk,annotate,record; replaces the current set")
    .option("--json", "print the session as JSON");
  examples(cmd, "rescue collaborator set k7m2qd9xw4hbte ann@example.com --permission view,chat");
  cmd.action(async (session: string, collaborator: string, opts: { permission: string; json?: boolean }) => {
    const body = { permissions: parsePermissions(opts.permission) } as CollaboratorPatch;
    const client = await ctx.daemon();
    const out = await client.setCollaborator(session, collaborator, body);
    const p = ctx.printer(opts);
    if (opts.json) p.value(out);
    else p.info(`${collaborator} may now: ${body.permissions.join(", ") || "nothing"}`);
  });
}

import type { Command } from "commander";
import { ExternalTechnician } from "../../../../protocol/index.js";
import { examples, type Context } from "../../../context.js";

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("add")
    .description("approve an external technician for collaboration invitations (admins only)")
    .argument("<email>", "the external technician's address")
    .option("--name <name>", "display name")
    .option("--json", "print the entry as JSON");
  examples(cmd, "rescue admin external add vendor@partner.example --name 'Vendor support'");
  cmd.action(async (email: string, opts: { name?: string; json?: boolean }) => {
    const client = await ctx.daemon();
    const added = await client.call("POST", "/api/v1/admin/external-technicians", ExternalTechnician, { email, ...(opts.name ? { name: opts.name } : {}) });
    const out = ctx.printer(opts);
    if (opts.json) out.value(added);
    else out.info(`approved ${added.email}`);
  });
}

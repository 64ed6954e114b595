import type { Command } from "commander";
import * as z from "zod";
import { ExternalTechnician } from "../../../../protocol/index.js";
import { examples, type Context } from "../../../context.js";

export function register(parent: Command, ctx: Context): void {
  const cmd = parent.command("list").description("the approved external technicians (admins only)").option("--json", "print them as JSON");
  examples(cmd, "rescue admin external list --json");
  cmd.action(async (opts: { json?: boolean }) => {
    const client = await ctx.daemon();
    const list = await client.call("GET", "/api/v1/admin/external-technicians", z.array(ExternalTechnician));
    const out = ctx.printer(opts);
    if (opts.json) return out.value(list);
    out.table(
      list,
      [
        { header: "email", value: (e) => e.email },
        { header: "name", value: (e) => e.name },
        { header: "approved", value: (e) => e.addedAt },
      ],
      "no approved external technicians",
    );
  });
}

import type { Command } from "commander";
import { examples, type Context } from "../../../context.js";

export function register(parent: Command, ctx: Context): void {
  const cmd = parent.command("list").description("list technicians (admins only)").option("--json", "print the technicians as a JSON array");
  examples(cmd, "rescue admin technician list --json");
  cmd.action(async (opts: { json?: boolean }) => {
    const techs = await (await ctx.daemon()).listTechnicians();
    const out = ctx.printer(opts);
    if (opts.json) return out.value(techs);
    out.table(
      techs,
      [
        { header: "email", value: (t) => t.email },
        { header: "name", value: (t) => t.name },
        { header: "group", value: (t) => t.group },
        { header: "admin", value: (t) => (t.admin ? "yes" : "no") },
        { header: "status", value: (t) => t.status ?? "active" },
      ],
      "no technicians",
    );
  });
}

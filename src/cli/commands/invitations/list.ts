import type { Command } from "commander";
import * as z from "zod";
import { Invitation } from "../../../protocol/index.js";
import { examples, type Context } from "../../context.js";

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("list")
    .description("pending invitations from other technicians: who, which session, your permissions, their comment")
    .option("--json", "print them as JSON");
  examples(cmd, "rescue invitations list", "rescue join --pin $(rescue invitations list --json | jq -r '.[0].pin')");
  cmd.action(async (opts: { json?: boolean }) => {
    const list = await (await ctx.daemon()).call("GET", "/api/v1/invitations", z.array(Invitation));
    const out = ctx.printer(opts);
    if (opts.json) return out.value(list);
    out.table(
      list,
      [
        { header: "pin", value: (i) => i.pin ?? "" },
        { header: "from", value: (i) => i.from },
        { header: "session", value: (i) => `${i.sessionId} (${i.sessionName})` },
        { header: "permissions", value: (i) => i.permissions.join(",") },
        { header: "comment", value: (i) => i.comment ?? "" },
      ],
      "no pending invitations",
    );
  });
}

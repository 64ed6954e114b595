import type { Command } from "commander";
import { examples, type Context } from "../context.js";

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("chat")
    .description("send a chat message to the customer of a session")
    .argument("<id>", "session id")
    .argument("<message>", "the text to send")
    .option("--json", "print the sent message as JSON");
  examples(cmd, "rescue chat k7m2qd9xw4hbte 'Please point the camera at the router'");
  cmd.action((id: string, message: string, opts: { json?: boolean }) => run(ctx, id, message, opts));
}

async function run(ctx: Context, id: string, message: string, opts: { json?: boolean }): Promise<void> {
  const sent = await (await ctx.daemon()).chat(id, message);
  const out = ctx.printer(opts);
  if (opts.json) out.value(sent);
  else out.info(`sent to session ${sent.sessionId}`);
}

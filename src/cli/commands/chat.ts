import type { Command } from "commander";
import type { ChatMessage, SessionLogEntry } from "../../protocol/index.js";
import { examples, type Context } from "../context.js";
import { UsageError } from "../errors.js";
import type { Printer } from "../output.js";

interface Options {
  json?: boolean;
  follow?: boolean;
}

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("chat")
    .description("send a chat message to the customer of a session, or follow the conversation (--follow)")
    .argument("<id>", "session id")
    .argument("[message]", "the text to send")
    .option("--follow", "print the conversation so far, then each message as it comes, until the session ends or Ctrl-C (exit 0)")
    .option("--json", "print the sent message as JSON; with --follow one JSON message per line");
  examples(
    cmd,
    "rescue chat k7m2qd9xw4hbte 'Please point the camera at the router'",
    "rescue chat k7m2qd9xw4hbte --follow",
    "rescue chat k7m2qd9xw4hbte --follow --json | jq -r 'select(.from == \"customer\") | .text'",
  );
  cmd.action((id: string, message: string | undefined, opts: Options) => run(ctx, id, message, opts));
}

async function run(ctx: Context, id: string, message: string | undefined, opts: Options): Promise<void> {
  if (message === undefined && !opts.follow) throw new UsageError("give the message to send, or --follow to read the conversation");
  const client = await ctx.daemon();
  const out = ctx.printer(opts);
  if (!opts.follow) {
    const sent = await client.chat(id, message!);
    if (opts.json) out.value(sent);
    else out.info(`sent to session ${sent.sessionId}`);
    return;
  }
  const { followSession } = await import("./session/follow.js");
  // The history comes from the log and the live messages from the stream: one message may be in both.
  const seen = new Set<string>();
  const print = (m: ChatMessage) => {
    const key = `${m.at}\n${m.from}\n${m.author}\n${m.text}`;
    if (seen.has(key)) return;
    seen.add(key);
    printMessage(out, m);
  };
  let sessionId = id;
  const end = await followSession(ctx, client, id, {
    before: async (session) => {
      sessionId = session.id;
      for (const e of await client.sessionLog(session.id)) {
        const m = fromLog(session.id, e);
        if (m) print(m);
      }
      if (message !== undefined) await client.chat(session.id, message); // comes back on the stream
      if (out.tty) out.info(`following the chat of ${session.id}; Ctrl-C to stop`);
    },
    onEvent: (e) => {
      if (e.type === "chat" && e.message.sessionId === sessionId) print(e.message);
    },
  });
  if (end.why === "ended") out.info(`session ${sessionId} is ${end.status}`);
}

/** A chat entry of the session log as the message it was; null for other entries. */
function fromLog(sessionId: string, e: SessionLogEntry): ChatMessage | null {
  if (e.event !== "chat" || typeof e.text !== "string") return null;
  const from = e.from === "customer" || e.from === "system" ? e.from : "technician";
  const author = typeof e.author === "string" ? e.author : (e.by ?? from);
  return { sessionId, from, author, text: e.text, at: e.at };
}

function printMessage(out: Printer, m: ChatMessage): void {
  if (out.json) return out.jsonLine(m);
  if (out.tty) out.line(`${m.at.slice(11, 19)} ${m.author}: ${m.text}`);
  else out.line(`${m.at}\t${m.from}\t${m.author}\t${m.text}`);
}

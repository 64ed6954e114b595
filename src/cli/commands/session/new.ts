import type { Command } from "commander";
import { examples, type Context } from "../../context.js";
import { UsageError } from "../../errors.js";
import { printSession } from "./format.js";

interface Options {
  lens?: boolean;
  desktop?: boolean;
  mode?: string;
  pin?: boolean;
  sms?: string;
  link?: boolean;
  email?: string;
  name?: string;
  language?: string;
  json?: boolean;
}

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("new")
    .description("create a session and its 6-digit PIN, sent by SMS or email or shown to pass on")
    .option("--lens", "a Rescue Lens session: the customer's camera and microphone (the default)")
    .option("--desktop", "a desktop session: the customer shares their screen from the browser")
    .option("--mode <mode>", "desktop sessions: view (watch the screen, the default) or control (needs the Rescue agent, refused for now)")
    .option("--pin", "show the PIN to tell the customer")
    .option("--sms <phone>", "send the link by SMS to this number")
    .option("--link", "show a link to copy to the customer")
    .option("--email <address>", "send the link by email to this address")
    .option("--name <name>", "the customer's name")
    .option("--language <lang>", "language of the SMS or email (en, nl, de)")
    .option("--json", "print the session as JSON");
  examples(
    cmd,
    "rescue session new --lens --pin --name 'Ann Smith'",
    "rescue session new --lens --sms +31612345678 --json",
    "rescue session new --lens --email ann@example.com",
    "rescue session new --desktop --link --name 'Ann Smith' --json",
  );
  cmd.action((opts: Options) => run(ctx, opts, cmd));
}

async function run(ctx: Context, opts: Options, cmd: Command): Promise<void> {
  const methods = [
    opts.pin && { method: "pin" as const },
    opts.sms !== undefined && { method: "sms" as const, to: opts.sms },
    opts.link && { method: "link" as const },
    opts.email !== undefined && { method: "email" as const, to: opts.email },
  ].filter((m) => m !== false && m !== undefined);
  if (methods.length !== 1) cmd.error("error: choose exactly one of --pin, --sms PHONE, --link, --email ADDRESS", { exitCode: 2, code: "rescue.usage" });
  if (opts.lens && opts.desktop) cmd.error("error: --lens and --desktop exclude each other", { exitCode: 2, code: "rescue.usage" });
  if (opts.mode !== undefined && !opts.desktop) throw new UsageError("--mode applies to desktop sessions: add --desktop");
  if (opts.mode !== undefined && opts.mode !== "view" && opts.mode !== "control") throw new UsageError(`--mode ${opts.mode}: one of view, control`);
  const language = opts.language;
  if (language !== undefined && !["en", "nl", "de"].includes(language)) throw new UsageError(`--language ${language}: one of en, nl, de`);
  const client = await ctx.daemon();
  const session = await client.createSession({
    type: opts.desktop ? "desktop" : "lens",
    ...(opts.mode ? { mode: opts.mode as "view" | "control" } : {}),
    ...methods[0]!,
    ...(opts.name ? { name: opts.name } : {}),
    ...(language ? { language: language as "en" | "nl" | "de" } : {}),
  });
  printSession(ctx.printer(opts), session, ctx.io.now());
}

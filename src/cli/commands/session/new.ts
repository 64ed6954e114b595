import type { Command } from "commander";
import { findClipboard, findOpener, noClipboard, noOpener } from "../../clipboard.js";
import { examples, type Context } from "../../context.js";
import { UsageError } from "../../errors.js";
import { customerLink, outboxNotice, printSession } from "./format.js";

interface Options {
  lens?: boolean;
  desktop?: boolean;
  mode?: string;
  pin?: boolean;
  sms?: string;
  link?: boolean;
  copy?: boolean;
  open?: boolean;
  email?: string;
  name?: string;
  lang?: string;
  language?: string;
  json?: boolean;
}

const LANGUAGES = ["en", "nl", "de"] as const;

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("new")
    .description("create a session and its 6-digit PIN, sent by SMS or email or shown to pass on")
    .option("--lens", "a Rescue Lens session: the customer's camera and microphone (the default)")
    .option("--desktop", "a desktop session: the customer shares their screen from the browser")
    .option("--mode <mode>", "desktop sessions: view (watch the screen, the default) or control (needs the Rescue agent, refused for now)")
    .option("--pin", "show the PIN to tell the customer")
    .option("--sms <phone>", "send the link by SMS to this number")
    .option("--link", "show a link to pass on to the customer")
    .option("--copy", "with --link: also copy the link to the clipboard (wl-copy, xclip, xsel or pbcopy)")
    .option("--open", "with --link: also open the link in the browser (xdg-open; open on macOS)")
    .option("--email <address>", "send the link by email to this address")
    .option("--name <name>", "the customer's name")
    .option("--lang <lang>", "language of the SMS or email text (en, nl, de)")
    .option("--language <lang>", "the same as --lang")
    .option("--json", "print the session as JSON");
  examples(
    cmd,
    "rescue session new --lens --pin --name 'Ann Smith'",
    "rescue session new --lens --sms +31612345678 --lang nl --json",
    "rescue session new --lens --email ann@example.com",
    "rescue session new --desktop --link --name 'Ann Smith' --json",
    "rescue session new --lens --link --copy",
    "rescue session new --lens --link --open",
  );
  cmd.addHelpText(
    "after",
    [
      "",
      "A failed SMS or email exits 1 with the carrier's reason on stderr; the session (and its PIN) is printed all the same.",
      "delivery.status: queued (the server has no carrier for it: the message waits in its outbox, nothing was sent),",
      "sent (a carrier took it), delivered (the SMS carrier reports it reached the phone), failed (with reason and code).",
      "",
    ].join("\n"),
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
  if (opts.copy && !opts.link) throw new UsageError("--copy goes with --link");
  if (opts.open && !opts.link) throw new UsageError("--open goes with --link");
  if (opts.sms !== undefined) {
    // Loaded only for --sms: the full numbering plans are large.
    const phone = (await import("../../../protocol/phone.js")).checkPhone(opts.sms);
    if (!phone.ok) throw new UsageError(phone.message);
  }
  const language = opts.lang ?? opts.language;
  if (language !== undefined && !LANGUAGES.includes(language as (typeof LANGUAGES)[number])) throw new UsageError(`--lang ${language}: one of ${LANGUAGES.join(", ")}`);
  // Before the session exists: a missing clipboard must not leave one behind.
  const clipboard = opts.copy ? findClipboard(ctx.io.env) : null;
  if (opts.copy && !clipboard) throw new UsageError(noClipboard(ctx.io.env));
  const opener = opts.open ? findOpener(ctx.io.env) : null;
  if (opts.open && !opener) throw new UsageError(noOpener(ctx.io.env));

  const client = await ctx.daemon();
  const session = await client.createSession({
    type: opts.desktop ? "desktop" : "lens",
    ...(opts.mode ? { mode: opts.mode as "view" | "control" } : {}),
    ...methods[0]!,
    ...(opts.name ? { name: opts.name } : {}),
    ...(language ? { language: language as (typeof LANGUAGES)[number] } : {}),
  });
  const out = ctx.printer(opts);
  printSession(out, session, ctx.io.now());
  const link = customerLink(session);
  if (clipboard && link) {
    await clipboard.copy(link);
    out.info(`link copied to the clipboard (${clipboard.tool})`);
  }
  if (opener && link) {
    await opener.open(link);
    out.info(`link opened with ${opener.tool}`);
  }
  // The session stands and its PIN was printed: the technician can still pass it on by hand.
  const d = session.delivery;
  if (d?.status === "queued") out.info(outboxNotice(d.channel));
  if (d?.status === "failed") {
    const { RescueError } = await import("../../../protocol/errors.js");
    throw new RescueError("delivery_failed", `the ${d.channel === "sms" ? "SMS" : "email"} to ${d.to} was not delivered: ${d.reason ?? "no reason given"}`);
  }
}

import type { Command } from "commander";
import { examples, type Context } from "../context.js";
import { UsageError } from "../errors.js";
import { ask, readAllStdin } from "../prompt.js";
import { reloadRunningDaemon } from "./reload.js";

interface Options {
  server?: string;
  email?: string;
  passwordStdin?: boolean;
  json?: boolean;
}

const LOGIN_TIMEOUT_MS = 10_000;

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("login")
    .description("log in to a Rescue server; the token goes to the OS keychain (or a 0600 file)")
    .option("--server <url>", "the server's URL (remembered for next time)")
    .option("--email <email>", "your technician email")
    .option("--password-stdin", "read the password from stdin (never pass it on the command line)")
    .option("--json", "print the result as JSON");
  examples(
    cmd,
    "rescue login   (on a terminal: asks for the server, the email and the password)",
    "rescue login --server https://rescue.example.com --email me@example.com",
    'printf %s "$RESCUE_PASSWORD" | rescue login --server http://127.0.0.1:8080 --email me@example.com --password-stdin --json',
    "NODE_EXTRA_CA_CERTS=~/rescue-ca.pem rescue login --server https://rescue.internal:8443   # a server whose certificate a private CA signed",
  );
  cmd.addHelpText(
    "after",
    "\nA server with a certificate from a private CA: put the CA (PEM) in NODE_EXTRA_CA_CERTS for every rescue command;\nthe daemon they start inherits it (after changing it: rescue daemon stop).\n",
  );
  cmd.action((opts: Options) => run(ctx, opts));
}

function normalizeServer(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--server ${raw} is not a URL (like https://rescue.example.com)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError("--server must be an http:// or https:// URL");
  return url.origin;
}

async function run(ctx: Context, opts: Options): Promise<void> {
  const { io } = ctx;
  const { readProfile, writeProfile } = await import("../../profile/config.js");
  const { account, deleteToken, saveToken } = await import("../../profile/credentials.js");
  const { ErrorBody, LoginResponse, RescueError } = await import("../../protocol/index.js");
  const previous = readProfile(ctx.paths.home);
  const canAsk = io.stdinIsTTY && !opts.passwordStdin;

  // On a terminal without --server the server is asked for, the last one offered (Enter keeps it).
  let rawServer = opts.server;
  if (rawServer === undefined && canAsk) {
    rawServer = (await ask(io, previous?.server ? `Server URL [${previous.server}]: ` : "Server URL (like https://rescue.example.com): ", false)).trim() || previous?.server;
  }
  rawServer ??= previous?.server;
  if (!rawServer) throw new UsageError("no server: pass --server URL");
  const server = normalizeServer(rawServer);
  let email = opts.email ?? (server === previous?.server && !opts.server ? previous.email : undefined);
  if (!email) {
    if (!canAsk) throw new UsageError("no email: pass --email EMAIL");
    email = (await ask(io, `Email for ${server}: `, false)).trim();
    if (!email) throw new UsageError("no email given");
  }
  let password: string;
  if (opts.passwordStdin) password = await readAllStdin(io);
  else if (io.stdinIsTTY) password = await ask(io, `Password for ${email} on ${server}: `, true);
  else throw new UsageError("no terminal to ask for the password: pass --password-stdin and pipe it in");
  if (!password) throw new UsageError("empty password");

  let res: Response;
  try {
    res = await fetch(new URL("/api/v1/auth/login", server), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password }),
      signal: AbortSignal.timeout(LOGIN_TIMEOUT_MS),
    });
  } catch (e) {
    const why = String((e as Error).cause ?? (e as Error).message);
    // Node trusts only its bundled CAs (and NODE_EXTRA_CA_CERTS), not the system's store.
    const hint = /certificate|CERT/.test(why) ? "; if a private CA signed it: NODE_EXTRA_CA_CERTS=ca.pem rescue login ..." : "";
    throw new RescueError("unavailable", `cannot reach ${server}: ${why}${hint}`);
  }
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) {
    const err = ErrorBody.safeParse(body);
    if (err.success && err.data.error.code === "unauthenticated") throw new RescueError("unauthenticated", "wrong email or password");
    throw err.success ? RescueError.fromBody(err.data) : new RescueError("internal", `${server} answered ${res.status}`);
  }
  const login = LoginResponse.safeParse(body);
  if (!login.success) throw new RescueError("internal", `${server} sent an unexpected login answer`);
  const tech = login.data.technician;

  const storage = await saveToken(ctx.paths.secrets, account(server, tech.email), login.data.token, io.env);
  if (previous && account(previous.server, previous.email) !== account(server, tech.email)) {
    await deleteToken(ctx.paths.secrets, account(previous.server, previous.email), previous.storage);
  }
  writeProfile(ctx.paths.home, { server, email: tech.email, storage, name: tech.name, group: tech.group });
  await reloadRunningDaemon(ctx);

  const out = ctx.printer(opts);
  if (opts.json) out.value({ server, email: tech.email, name: tech.name, group: tech.group, admin: tech.admin, storage });
  else out.info(`logged in as ${tech.email} on ${server} (token saved in the ${storage === "keychain" ? "keychain" : `file ${ctx.paths.secrets}`})`);
}

import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { resolve } from "node:path";
import { ZodError } from "zod";
import { RescueError } from "../protocol/index.js";
import { carriersFrom, deliveryFileIn, describeDelivery, loadDeliveryConfig } from "./delivery/config.js";
import { initData, startServer } from "./index.js";
import { readLimitsFile } from "./limits/file.js";
import { DEFAULT_ADMIN_EMAIL } from "./org.js";
import { trustProxy } from "./proxy.js";
import { openSqliteStore, storeExists } from "./store/sqlite.js";
import { checkTurnUrl, DEFAULT_TURN_TTL_SECONDS, readTurnSecret, type TurnConfig } from "./turn.js";

const EXIT = { ok: 0, error: 1, usage: 2, notPermitted: 5, notFound: 6 } as const;

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError("a port is 0-65535 (0 picks a free one)");
  return n;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 3600) throw new InvalidArgumentError("whole seconds, 0-3600");
  return n;
}

/** --turn-url entries, comma-separated and repeatable, checked as they are parsed. */
function turnUrls(value: string, previous: string[]): string[] {
  const urls = value.split(",").map((u) => u.trim()).filter((u) => u.length > 0);
  try {
    for (const url of urls) checkTurnUrl(url);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return [...previous, ...urls];
}

function ttl(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 60 || n > 7 * 86400) throw new InvalidArgumentError("whole seconds, 60-604800");
  return n;
}

/** The TURN settings of `start`: both flags or neither. */
function turnFrom(o: { turnUrl: string[]; turnSecretFile?: string; turnTtl: number }): TurnConfig | undefined {
  if (o.turnUrl.length === 0 && !o.turnSecretFile) return undefined;
  if (o.turnUrl.length === 0) throw new RescueError("bad_request", "--turn-secret-file needs --turn-url, e.g. --turn-url turn:turn.example.com:3478");
  if (!o.turnSecretFile) throw new RescueError("bad_request", "--turn-url needs --turn-secret-file FILE (coturn's static-auth-secret, mode 0600)");
  return { urls: o.turnUrl, secret: readTurnSecret(resolve(o.turnSecretFile)), ttlSeconds: o.turnTtl };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** --trust-proxy entries, checked as they are parsed so a bad one is a usage error. */
function proxies(value: string, previous: string[]): string[] {
  try {
    trustProxy([value]);
  } catch (err) {
    throw new InvalidArgumentError(`${(err as Error).message}; give IPv4/IPv6 addresses or CIDRs, e.g. 10.0.0.0/8,fd00::/8`);
  }
  return [...previous, value];
}

/** The data folder, resolved, or a not_found error telling how to create it. */
function existingData(dir: string): string {
  const dataDir = resolve(dir);
  if (!storeExists(dataDir)) throw new RescueError("not_found", `no Rescue data in ${dataDir}; run: rescue-server init --data ${dir}`);
  return dataDir;
}

function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Resolves on the first SIGTERM or SIGINT. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolveSignal) => {
    const on = (signal: NodeJS.Signals) => {
      process.off("SIGTERM", on);
      process.off("SIGINT", on);
      resolveSignal(signal);
    };
    process.on("SIGTERM", on);
    process.on("SIGINT", on);
  });
}

function program(): Command {
  const cmd = new Command("rescue-server")
    .description("The Rescue backend: HTTP API and WebSocket signalling on one port")
    .exitOverride()
    .showHelpAfterError("(add --help for usage)")
    .addHelpText(
      "after",
      "\nExamples:\n  $ rescue-server init --data ./rescue-data --json\n  $ rescue-server start --data ./rescue-data --port 8080\n  $ rescue-server outbox --data ./rescue-data --json",
    );

  cmd
    .command("init")
    .description("create the data folder and the first administrator (the password is shown once)")
    .requiredOption("--data <dir>", "data folder (created 0700)")
    .option("--admin-email <email>", "the administrator's email", DEFAULT_ADMIN_EMAIL)
    .option("--json", "print {email, password} as JSON")
    .addHelpText("after", "\nExamples:\n  $ rescue-server init --data ./rescue-data --json\n  $ rescue-server init --data /var/lib/rescue --admin-email it@example.com")
    .action(async (o: { data: string; adminEmail: string; json?: boolean }) => {
      const admin = await initData(resolve(o.data), o.adminEmail);
      if (o.json) printJson(admin);
      else process.stdout.write(`administrator: ${admin.email}\npassword: ${admin.password}\n(the password is shown once; keep it safe)\n`);
    });

  cmd
    .command("start")
    .description("serve the API until SIGTERM or SIGINT")
    .requiredOption("--data <dir>", "data folder made by init")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <n>", "port (0 picks a free one)", port, 0)
    .option("--public-url <url>", "base of the links sent to customers (default http://HOST:PORT)")
    .option("--ice-server <url>", "STUN/TURN URL handed to peers (repeatable)", collect, [])
    .option("--turn-url <urls>", "coturn relay URLs handed to peers with short-lived credentials, comma-separated, repeatable (needs --turn-secret-file)", turnUrls, [])
    .option("--turn-secret-file <file>", "coturn's static-auth-secret (use-auth-secret), one line, mode 0600")
    .option("--turn-ttl <seconds>", "how long each peer's TURN credential is valid", ttl, DEFAULT_TURN_TTL_SECONDS)
    .option("--delivery-config <file>", "SMS (Twilio) and SMTP settings, mode 0600 (default DIR/delivery.json; none: outbox)")
    .option("--customer-grace <seconds>", "how long a customer whose connection dropped may come back before the session is aborted (0: at once)", seconds, 120)
    .addOption(
      new Option("--trust-proxy <list>", "proxies whose X-Forwarded-For names the client: addresses or CIDRs, comma-separated, repeatable")
        .argParser(proxies)
        .default([], "none"),
    )
    .option("--limits <file>", "JSON file of limits to change (PIN guessing, logins, sessions, chat, timeouts, connections); see SECURITY.md")
    .addOption(new Option("--log-level <level>", "log level on stderr").choices(["fatal", "error", "warn", "info", "debug", "silent"]).default("info"))
    .addHelpText(
      "after",
      [
        "",
        "Delivery: without a delivery file SMS and email go to the outbox (see `outbox`). The file, JSON, mode 0600:",
        '  {"twilio": {"accountSid": "AC...", "authToken": "...", "from": "+15005550006"},',
        '   "smtp": {"host": "smtp.example.com", "port": 587, "user": "rescue", "password": "...", "from": "Rescue <support@example.com>"}}',
        "",
        "TURN: for customers behind strict NATs, run coturn with use-auth-secret and static-auth-secret=SECRET,",
        "put the same secret in a 0600 file and name it with --turn-secret-file. Every peer (daemon, customer page,",
        "simulator) gets its own credential valid for --turn-ttl seconds (default 6 h), renewed when it reconnects.",
        "",
        "Behind a reverse proxy every client seems to come from the proxy: name it with --trust-proxy so limits and",
        "logs use the address it forwards. Without the flag X-Forwarded-For is ignored.",
        "Limits (defaults in SECURITY.md) change with --limits FILE, e.g. {\"pins\": {\"perSource\": {\"burst\": 5, \"windowMs\": 86400000}}}.",
        "",
        "Examples:",
        "  $ rescue-server start --data ./rescue-data --port 8080",
        "  $ rescue-server start --data ./rescue-data --host 0.0.0.0 --port 443 --public-url https://rescue.example.com",
        "  $ rescue-server start --data ./rescue-data --port 8080 --public-url https://rescue.example.com --trust-proxy 127.0.0.1,10.0.0.0/8",
        "  $ rescue-server start --data ./rescue-data --limits ./limits.json",
        "  $ rescue-server start --data ./rescue-data --turn-url 'turn:turn.example.com:3478?transport=udp,turns:turn.example.com:5349?transport=tcp' --turn-secret-file /etc/rescue/turn-secret",
      ].join("\n"),
    )
    .action(async (o: { data: string; host: string; port: number; publicUrl?: string; iceServer: string[]; turnUrl: string[]; turnSecretFile?: string; turnTtl: number; deliveryConfig?: string; customerGrace: number; logLevel: string; trustProxy: string[]; limits?: string }) => {
      const dataDir = existingData(o.data);
      const turn = turnFrom(o);
      const limits = o.limits ? readLimitsFile(resolve(o.limits)) : undefined;
      const deliveryConfig = loadDeliveryConfig(o.deliveryConfig ? resolve(o.deliveryConfig) : deliveryFileIn(dataDir));
      const signal = untilSignal();
      const server = await startServer({
        dataDir,
        host: o.host,
        port: o.port,
        logLevel: o.logLevel,
        ...(o.publicUrl ? { publicUrl: o.publicUrl } : {}),
        iceServers: o.iceServer.map((urls) => ({ urls })),
        ...(turn ? { turn } : {}),
        delivery: carriersFrom(deliveryConfig),
        customerGraceMs: o.customerGrace * 1000,
        trustProxy: o.trustProxy,
        ...(limits ? { limits } : {}),
      });
      const proxied = o.trustProxy.length > 0 ? `trusting X-Forwarded-For from: ${o.trustProxy.join(", ")}\n` : "";
      const relays = turn ? `TURN: ${turn.urls.join(", ")} (credentials valid ${turn.ttlSeconds} s)\n` : "";
      process.stderr.write(`delivery: ${describeDelivery(deliveryConfig)}\n${proxied}${relays}listening on ${server.url}\n`);
      await signal;
      await server.close();
    });

  cmd
    .command("outbox")
    .description("show the SMS and emails the dev delivery recorded instead of sending")
    .requiredOption("--data <dir>", "data folder made by init")
    .option("--json", "print [{channel, to, body, at}] as JSON")
    .addHelpText("after", "\nExamples:\n  $ rescue-server outbox --data ./rescue-data --json")
    .action(async (o: { data: string; json?: boolean }) => {
      const store = openSqliteStore(existingData(o.data));
      try {
        const rows = await store.outbox.list();
        if (o.json) printJson(rows.map((r) => ({ channel: r.channel, to: r.to, ...(r.subject ? { subject: r.subject } : {}), body: r.body, at: r.at })));
        else for (const r of rows) process.stdout.write(`${r.at}  ${r.channel}  ${r.to}\n  ${r.body.replace(/\n/g, "\n  ")}\n`);
      } finally {
        store.close();
      }
    });

  return cmd;
}

/** Runs `rescue-server` with process-style argv; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv, { from: "node" });
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.code === "commander.helpDisplayed" || err.code === "commander.version" ? EXIT.ok : EXIT.usage;
    }
    if (err instanceof ZodError) {
      process.stderr.write(`rescue-server: ${err.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}\n`);
      return EXIT.usage;
    }
    if (err instanceof RescueError) {
      process.stderr.write(`rescue-server: ${err.message}\n`);
      if (err.code === "bad_request") return EXIT.usage;
      return err.code === "not_found" ? EXIT.notFound : err.code === "forbidden" ? EXIT.notPermitted : EXIT.error;
    }
    process.stderr.write(`rescue-server: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT.error;
  }
}

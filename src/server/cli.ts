import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { resolve } from "node:path";
import type { Logger } from "pino";
import { ZodError } from "zod";
import { UsageError } from "../cli/errors.js";
import { writeJq } from "../cli/output.js";
import { packageVersion } from "../profile/package.js";
import { RescueError } from "../protocol/index.js";
import { checkRedisUrl, REDIS_URL_ENV, redactedUrl } from "./bus/redis-url.js";
import { carriersFrom, deliveryFileIn, describeDelivery, loadDeliveryConfig } from "./delivery/config.js";
import { initStore, startServer } from "./index.js";
import { readLimitsFile } from "./limits/file.js";
import { LOG_FORMATS, serverLogger, type LogFormat } from "./log.js";
import { DEFAULT_ADMIN_EMAIL } from "./org.js";
import { releaseSighup } from "./early-sighup.js";
import { publicUrlSyntaxProblem } from "./exposure.js";
import { trustProxy } from "./proxy.js";
import { mkdirSync } from "node:fs";
import { backupStore, restoreStore } from "./store/backup.js";
import { checkDatabaseUrl, DATABASE_URL_ENV, migrateStore, openStore, type StoreTarget } from "./store/open.js";
import { redactUrl } from "./store/postgres.js";
import { storeExists } from "./store/sqlite.js";
import { checkTurnUrl, DEFAULT_TURN_TTL_SECONDS, readTurnSecret, type TurnConfig } from "./turn.js";

const EXIT = { ok: 0, error: 1, usage: 2, notPermitted: 5, notFound: 6 } as const;

/** `start`'s default ports: fixed, so technicians' saved server URLs survive a restart. */
export const DEFAULT_PORT = 8080;
export const DEFAULT_TLS_PORT = 8443;

/** Set by `start` once its logger exists: from then on every line on stderr is a log record. */
let serverLog: Logger | undefined;

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

/** --public-url, checked as it is parsed: a value customer links cannot be built on is a usage error. */
function publicUrl(value: string): string {
  const problem = publicUrlSyntaxProblem(value);
  if (problem) throw new InvalidArgumentError(problem);
  return value;
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

/** --database, or RESCUE_DATABASE_URL, so the password need not be on the command line. */
function databaseOption(): Option {
  // Checked in storeTarget, not by commander, whose message would quote the URL and its password.
  return new Option("--database <url>", `PostgreSQL store shared by every node: postgres://USER:PASSWORD@HOST:5432/DB (default: $${DATABASE_URL_ENV}, else SQLite in --data)`).env(
    DATABASE_URL_ENV,
  );
}

/**
 * Where the store is: the PostgreSQL database when given, else the SQLite file in the data
 * folder, which must exist unless `create`. With a database the folder is optional.
 */
function storeTarget(o: { data?: string; database?: string }, create = false): StoreTarget & { dataDir?: string } {
  if (o.database) {
    checkDatabaseUrl(o.database);
    if (!o.data) return { database: o.database };
    const dataDir = resolve(o.data);
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    return { database: o.database, dataDir };
  }
  if (!o.data) throw new RescueError("bad_request", `give --data DIR (SQLite) or --database postgres://... (or set ${DATABASE_URL_ENV})`);
  return { dataDir: create ? resolve(o.data) : existingData(o.data) };
}

/**
 * A command's JSON answer on stdout, or what `--jq EXPR` makes of it (as `rescue` does: real jq,
 * strings raw, one line per output when piped). A bad expression is a UsageError (exit 2), one
 * that fails at run time a JqRuntimeError (exit 1) after the outputs before it.
 */
async function printJson(value: unknown, jq?: string): Promise<void> {
  if (jq === undefined) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  else await writeJq(process.stdout, Boolean(process.stdout.isTTY), value, jq, !process.stdout.isTTY);
}

/** `--jq EXPR` beside a command's `--json` (it implies --json). */
function jqOption(): Option {
  return new Option("--jq <expr>", "filter the JSON output with a jq expression (implies --json), e.g. --jq '.[].to'");
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

interface StartFlags {
  turnUrl: string[];
  turnSecretFile?: string;
  turnTtl: number;
  data?: string;
  database?: string;
  redis?: string;
  host: string;
  port?: number;
  publicUrl?: string;
  tlsCert?: string;
  tlsKey?: string;
  metricsPort?: number;
  metricsHost: string;
  iceServer: string[];
  deliveryConfig?: string;
  customerGrace: number;
  logLevel: string;
  logFormat?: LogFormat;
  trustProxy: string[];
  limits?: string;
}

function program(): Command {
  const cmd = new Command("rescue-server")
    .description("The Rescue backend: HTTP API and WebSocket signalling on one port")
    .version(packageVersion(), "-V, --version", "print the version")
    .exitOverride()
    .showHelpAfterError("(add --help for usage)")
    .addHelpText(
      "after",
      "\nExamples:\n  $ rescue-server --version\n  $ rescue-server init --data ./rescue-data --json\n  $ rescue-server start --data ./rescue-data\n  $ rescue-server outbox --data ./rescue-data --json\n  $ rescue-server backup --data ./rescue-data --out ./rescue.db.bak",
    );

  cmd
    .command("init")
    .description("create the store (data folder or PostgreSQL schema) and the first administrator (the password is shown once)")
    .option("--data <dir>", "data folder (created 0700); holds the SQLite store unless --database is given")
    .addOption(databaseOption())
    .option("--admin-email <email>", "the administrator's email", DEFAULT_ADMIN_EMAIL)
    .option("--json", "print {email, password} as JSON")
    .addOption(jqOption())
    .addHelpText(
      "after",
      [
        "",
        "Examples:",
        "  $ rescue-server init --data ./rescue-data --json",
        "  $ rescue-server init --data /var/lib/rescue --admin-email it@example.com",
        `  $ ${DATABASE_URL_ENV}=postgres://rescue:PASSWORD@db.internal:5432/rescue rescue-server init --json`,
      ].join("\n"),
    )
    .action(async (o: { data?: string; database?: string; adminEmail: string; json?: boolean; jq?: string }) => {
      const admin = await initStore(storeTarget(o, true), o.adminEmail);
      if (o.json || o.jq !== undefined) await printJson(admin, o.jq);
      else process.stdout.write(`administrator: ${admin.email}\npassword: ${admin.password}\n(the password is shown once; keep it safe)\n`);
    });

  cmd
    .command("start")
    .description("serve the API until SIGTERM or SIGINT")
    .option("--data <dir>", "data folder made by init (with --database: optional, for delivery.json)")
    .addOption(databaseOption())
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <n>", `port (0 picks a free one) (default: ${DEFAULT_PORT}, or ${DEFAULT_TLS_PORT} with --tls-cert)`, port)
    .option("--public-url <url>", "base of the links sent to customers, an http(s):// URL (default http(s)://HOST:PORT)", publicUrl)
    .option("--tls-cert <file>", "serve HTTPS and WSS with this PEM certificate (chain); read again on SIGHUP")
    .option("--tls-key <file>", "the certificate's PEM private key (mode 0600); read again on SIGHUP")
    .option("--metrics-port <n>", "serve GET /metrics (Prometheus), /healthz and /readyz on this second port (0 picks a free one; default: no metrics)", port)
    .option("--metrics-host <host>", "address of the metrics listener (unauthenticated: keep it private)", "127.0.0.1")
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
    .addOption(
      new Option("--redis <url>", "Redis shared by several server nodes: live events, presence and rate limits (redis:// or rediss://)")
        .env(REDIS_URL_ENV),
    )
    .addOption(new Option("--log-level <level>", "log level on stderr").choices(["fatal", "error", "warn", "info", "debug", "silent"]).default("info"))
    .addOption(new Option("--log-format <format>", "json: one JSON object a line; pretty: readable lines (default: pretty on a terminal, json otherwise)").choices(LOG_FORMATS))
    .addHelpText(
      "after",
      [
        "",
        "Delivery: without a delivery file SMS and email go to the outbox (see `outbox`) and are reported queued. The file, JSON, mode 0600:",
        '  {"twilio": {"accountSid": "AC...", "authToken": "...", "from": "+15005550006"},',
        '   "smtp": {"host": "smtp.example.com", "port": 587, "user": "rescue", "password": "...", "from": "Rescue <support@example.com>"}}',
        "With Twilio, delivery reports come back signed to PUBLIC-URL/api/v1/delivery/twilio/SESSION: give a --public-url Twilio can reach.",
        "",
        "TURN: for customers behind strict NATs, run coturn with use-auth-secret and static-auth-secret=SECRET,",
        "put the same secret in a 0600 file and name it with --turn-secret-file. Every peer (daemon, customer page,",
        "simulator) gets its own credential valid for --turn-ttl seconds (default 6 h), renewed when it reconnects.",
        "",
        "Behind a reverse proxy every client seems to come from the proxy: name it with --trust-proxy so limits and",
        "logs use the address it forwards. Without the flag X-Forwarded-For is ignored.",
        "Limits (defaults in SECURITY.md) change with --limits FILE, e.g. {\"pins\": {\"perSource\": {\"burst\": 5, \"windowMs\": 86400000}}}.",
        "",
        `Several nodes: give each the same --database (or ${DATABASE_URL_ENV}, which keeps the password off the`,
        "command line and out of ps); the store's rules then hold across the nodes. The password is never logged.",
        `They share live events, presence and limits through --redis URL (or ${REDIS_URL_ENV}, which keeps a password`,
        "out of the process list); the server does not start when Redis cannot be reached. See README, \"Running several nodes\".",
        "TLS: with --tls-cert and --tls-key the port serves HTTPS and WSS; `kill -HUP PID` (systemctl reload) loads renewed",
        "files for new connections without a restart. Technicians' tools trust a private CA through NODE_EXTRA_CA_CERTS=ca.pem.",
        "Customers' browsers grant the camera only on HTTPS pages: a server reachable from other machines warns when",
        "its --public-url is http:// or a loopback address.",
        "Metrics: /metrics is never on the public port; --metrics-port serves it (with /healthz and /readyz) on",
        "--metrics-host, 127.0.0.1 by default. /healthz and /readyz are on the public port too.",
        "",
        "Examples:",
        "  $ rescue-server start --data ./rescue-data",
        "  $ rescue-server start --data /var/lib/rescue --host 0.0.0.0 --tls-cert cert.pem --tls-key key.pem --public-url https://rescue.example.com:8443",
        "  $ rescue-server start --data ./rescue-data --metrics-port 9464 --log-format json",
        "  $ rescue-server start --data ./rescue-data --port 8080 --public-url https://rescue.example.com --trust-proxy 127.0.0.1,10.0.0.0/8",
        "  $ rescue-server start --data ./rescue-data --limits ./limits.json",
        `  $ ${DATABASE_URL_ENV}=postgres://rescue:PASSWORD@db.internal:5432/rescue rescue-server start --host 0.0.0.0 --port 8080 --public-url https://rescue.example.com`,
        "  $ rescue-server start --database postgres://rescue@db.internal/rescue --redis redis://10.0.0.5:6379/0 --port 8080",
        `  $ ${REDIS_URL_ENV}=rediss://:PASSWORD@redis.internal:6380 rescue-server start --data ./rescue-data --port 8080`,
        "  $ rescue-server start --data ./rescue-data --turn-url 'turn:turn.example.com:3478?transport=udp,turns:turn.example.com:5349?transport=tcp' --turn-secret-file /etc/rescue/turn-secret",
      ].join("\n"),
    )
    .action(async (o: StartFlags) => {
      // SIGHUP would otherwise end the process, first of all: bin/rescue-server.js holds it while the
      // modules load, and until the server is up it is counted here (the TLS files are read while
      // it starts); once up, answerHup answers it, and once for those that came meanwhile.
      let earlyHups = 0;
      let answerHup: (() => void) | undefined;
      const onHup = () => (answerHup ? answerHup() : earlyHups++);
      process.on("SIGHUP", onHup);
      earlyHups += releaseSighup();
      try {
        // Checked here, not by commander, which would echo the value (and its password) in its error.
        if (o.redis) checkRedisUrl(o.redis);
        if (Boolean(o.tlsCert) !== Boolean(o.tlsKey)) throw new RescueError("bad_request", "--tls-cert and --tls-key go together");
        const log = serverLogger({ level: o.logLevel, ...(o.logFormat ? { format: o.logFormat } : {}) });
        serverLog = log;
        // Start-up lines are shown at any level but silent: scripts wait for "listening on".
        const announce = o.logLevel === "silent" ? log : log.child({}, { level: "info" });
        const { dataDir, database } = storeTarget(o);
        const turn = turnFrom(o);
        const limits = o.limits ? readLimitsFile(resolve(o.limits)) : undefined;
        const deliveryFile = o.deliveryConfig ? resolve(o.deliveryConfig) : dataDir ? deliveryFileIn(dataDir) : undefined;
        const deliveryConfig = deliveryFile ? loadDeliveryConfig(deliveryFile) : undefined;
        const signal = untilSignal();
        const server = await startServer({
          ...(dataDir ? { dataDir } : {}),
          ...(database ? { database } : {}),
          host: o.host,
          port: o.port ?? (o.tlsCert ? DEFAULT_TLS_PORT : DEFAULT_PORT),
          logger: log,
          ...(o.tlsCert && o.tlsKey ? { tls: { certFile: resolve(o.tlsCert), keyFile: resolve(o.tlsKey) } } : {}),
          ...(o.metricsPort !== undefined ? { metrics: { host: o.metricsHost, port: o.metricsPort } } : {}),
          ...(o.publicUrl ? { publicUrl: o.publicUrl } : {}),
          iceServers: o.iceServer.map((urls) => ({ urls })),
          ...(turn ? { turn } : {}),
          delivery: carriersFrom(deliveryConfig),
          customerGraceMs: o.customerGrace * 1000,
          trustProxy: o.trustProxy,
          ...(limits ? { limits } : {}),
          ...(o.redis ? { redis: o.redis } : {}),
        });
        announce.info({ store: database ? `PostgreSQL ${redactUrl(database)}` : `SQLite in ${dataDir}` }, database ? `store: PostgreSQL ${redactUrl(database)}` : `store: SQLite in ${dataDir}`);
        announce.info(`delivery: ${describeDelivery(deliveryConfig)}`);
        if (o.redis) announce.info({ redis: redactedUrl(o.redis) }, `redis: ${redactedUrl(o.redis)} (one of several nodes)`);
        if (turn) announce.info({ turn: turn.urls, ttlSeconds: turn.ttlSeconds }, `TURN: ${turn.urls.join(", ")} (credentials valid ${turn.ttlSeconds} s)`);
        if (o.trustProxy.length > 0) announce.info({ trustProxy: o.trustProxy }, `trusting X-Forwarded-For from: ${o.trustProxy.join(", ")}`);
        if (server.metricsUrl) announce.info({ metricsUrl: server.metricsUrl }, `metrics on ${server.metricsUrl}/metrics`);
        announce.info({ url: server.url, version: packageVersion() }, `listening on ${server.url}`);
        const reload = () => {
          try {
            server.reloadTls();
            announce.info("TLS certificate reloaded");
          } catch (err) {
            log.error({ err: err instanceof Error ? err.message : String(err) }, "TLS reload failed; the previous certificate stays in use");
          }
        };
        // Without TLS a SIGHUP is logged and ignored.
        answerHup = o.tlsCert ? reload : () => log.warn("SIGHUP ignored: no TLS certificate to reload");
        if (earlyHups > 0) {
          announce.info({ signals: earlyHups }, `SIGHUP received while starting (${earlyHups}x): answered now`);
          answerHup();
        }
        const got = await signal;
        announce.info({ signal: got }, "stopping");
        await server.close();
      } finally {
        process.off("SIGHUP", onHup);
      }
    });

  cmd
    .command("migrate")
    .description("apply the store's pending schema migrations (start does it too) and list them")
    .option("--data <dir>", "data folder made by init (SQLite)")
    .addOption(databaseOption())
    .option("--json", 'print {"engine", "applied": [ids applied now], "migrations": [{id, name, appliedAt}]} as JSON')
    .addOption(jqOption())
    .addHelpText(
      "after",
      `\nExamples:\n  $ rescue-server migrate --data ./rescue-data --json\n  $ ${DATABASE_URL_ENV}=postgres://rescue:PASSWORD@db.internal:5432/rescue rescue-server migrate`,
    )
    .action(async (o: { data?: string; database?: string; json?: boolean; jq?: string }) => {
      const result = await migrateStore(storeTarget(o));
      if (o.json || o.jq !== undefined) await printJson(result, o.jq);
      else {
        for (const m of result.migrations) process.stdout.write(`${m.id}  ${m.appliedAt}  ${m.name}\n`);
        process.stderr.write(`${result.engine}: ${result.applied.length === 0 ? "up to date" : `applied ${result.applied.join(", ")}`}\n`);
      }
    });

  cmd
    .command("outbox")
    .description("show the SMS and emails the dev delivery recorded instead of sending")
    .option("--data <dir>", "data folder made by init")
    .addOption(databaseOption())
    .option("--json", "print [{channel, to, body, at}] as JSON")
    .addOption(jqOption())
    .addHelpText(
      "after",
      "\nExamples:\n  $ rescue-server outbox --data ./rescue-data --json\n  $ rescue-server outbox --data ./rescue-data --jq '.[] | select(.channel == \"sms\") | .body'",
    )
    .action(async (o: { data?: string; database?: string; json?: boolean; jq?: string }) => {
      const store = await openStore(storeTarget(o));
      try {
        const rows = await store.outbox.list();
        if (o.json || o.jq !== undefined) await printJson(rows.map((r) => ({ channel: r.channel, to: r.to, ...(r.subject ? { subject: r.subject } : {}), body: r.body, at: r.at })), o.jq);
        else for (const r of rows) process.stdout.write(`${r.at}  ${r.channel}  ${r.to}\n  ${r.body.replace(/\n/g, "\n  ")}\n`);
      } finally {
        await store.close();
      }
    });

  cmd
    .command("backup")
    .description("write a consistent copy of the store to FILE (mode 0600), also while a server runs on the folder")
    .requiredOption("--data <dir>", "data folder made by init")
    .requiredOption("--out <file>", "the backup file; written beside itself first, then renamed over it")
    .option("--json", "print {path, bytes, at, schema, technicians, sessions, logEntries} as JSON")
    .addOption(jqOption())
    .addHelpText(
      "after",
      [
        "",
        "The copy is SQLite's online backup: one instant of the store, taken without stopping the server.",
        "It holds password and token hashes: keep it in a 0700 folder. delivery.json and --limits files are",
        "settings, not in the store: copy them yourself.",
        "",
        "Examples:",
        "  $ rescue-server backup --data /var/lib/rescue --out /var/backups/rescue/rescue-$(date +%F).db",
        "  $ rescue-server backup --data ./rescue-data --out ./rescue.db.bak --json",
      ].join("\n"),
    )
    .action(async (o: { data: string; out: string; json?: boolean; jq?: string }) => {
      const result = await backupStore(existingData(o.data), resolve(o.out));
      if (result.warning) process.stderr.write(`warning: ${result.warning}\n`);
      if (o.json || o.jq !== undefined) await printJson(result, o.jq);
      else {
        process.stdout.write(`${result.path}\n`);
        process.stderr.write(
          `backup written: ${result.bytes} bytes, schema ${result.schema}, ${result.technicians} technicians, ${result.sessions} sessions, ${result.logEntries} log entries (${result.at})\n`,
        );
      }
    });

  cmd
    .command("restore")
    .description("put a backup in place as the folder's store (refused while a server runs on it); the old store is kept aside")
    .requiredOption("--data <dir>", "data folder to restore into (created 0700 when missing)")
    .requiredOption("--from <file>", "a file written by `rescue-server backup`")
    .option("--json", "print {path, from, previous, backupSchema, schema, technicians, sessions, logEntries} as JSON")
    .addOption(jqOption())
    .addHelpText(
      "after",
      [
        "",
        "Stop the server first. The store that was there is renamed to rescue.db.before-restore-TIME, not deleted.",
        "A backup from an older version is brought up to this version's schema; one from a newer version is refused.",
        "",
        "Examples:",
        "  $ systemctl stop rescue-server && rescue-server restore --data /var/lib/rescue --from /var/backups/rescue/rescue-2026-11-30.db",
        "  $ rescue-server restore --data ./rescue-data --from ./rescue.db.bak --json",
      ].join("\n"),
    )
    .action(async (o: { data: string; from: string; json?: boolean; jq?: string }) => {
      const result = await restoreStore(resolve(o.data), resolve(o.from));
      if (o.json || o.jq !== undefined) await printJson(result, o.jq);
      else {
        process.stdout.write(`${result.path}\n`);
        process.stderr.write(
          `restored ${result.from}: schema ${result.backupSchema}${result.schema !== result.backupSchema ? ` (now ${result.schema})` : ""}, ${result.technicians} technicians, ${result.sessions} sessions, ${result.logEntries} log entries\n` +
            (result.previous ? `the previous store is kept at ${result.previous}\n` : ""),
        );
      }
    });

  return cmd;
}

/** A fatal error: a log record once `start` logs, else a plain line (init, outbox, usage). */
function report(message: string): void {
  if (serverLog) serverLog.fatal(message);
  else process.stderr.write(`rescue-server: ${message}\n`);
}

/** Runs `rescue-server` with process-style argv; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  serverLog = undefined;
  try {
    await program().parseAsync(argv, { from: "node" });
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.code === "commander.helpDisplayed" || err.code === "commander.version" ? EXIT.ok : EXIT.usage;
    }
    if (err instanceof UsageError) {
      report(err.message);
      return EXIT.usage;
    }
    if (err instanceof ZodError) {
      report(err.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
      return EXIT.usage;
    }
    if (err instanceof RescueError) {
      report(err.message);
      if (err.code === "bad_request") return EXIT.usage;
      return err.code === "not_found" ? EXIT.notFound : err.code === "forbidden" ? EXIT.notPermitted : EXIT.error;
    }
    report(err instanceof Error ? err.message : String(err));
    return EXIT.error;
  }
}

import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { resolve } from "node:path";
import type { Logger } from "pino";
import { ZodError } from "zod";
import { packageVersion } from "../profile/package.js";
import { RescueError } from "../protocol/index.js";
import { carriersFrom, deliveryFileIn, describeDelivery, loadDeliveryConfig } from "./delivery/config.js";
import { initData, startServer } from "./index.js";
import { readLimitsFile } from "./limits/file.js";
import { LOG_FORMATS, serverLogger, type LogFormat } from "./log.js";
import { DEFAULT_ADMIN_EMAIL } from "./org.js";
import { trustProxy } from "./proxy.js";
import { openSqliteStore, storeExists } from "./store/sqlite.js";

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

interface StartFlags {
  data: string;
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
      "\nExamples:\n  $ rescue-server --version\n  $ rescue-server init --data ./rescue-data --json\n  $ rescue-server start --data ./rescue-data\n  $ rescue-server outbox --data ./rescue-data --json",
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
    .option("--port <n>", `port (0 picks a free one) (default: ${DEFAULT_PORT}, or ${DEFAULT_TLS_PORT} with --tls-cert)`, port)
    .option("--public-url <url>", "base of the links sent to customers (default http(s)://HOST:PORT)")
    .option("--tls-cert <file>", "serve HTTPS and WSS with this PEM certificate (chain); read again on SIGHUP")
    .option("--tls-key <file>", "the certificate's PEM private key (mode 0600); read again on SIGHUP")
    .option("--metrics-port <n>", "serve GET /metrics (Prometheus), /healthz and /readyz on this second port (0 picks a free one; default: no metrics)", port)
    .option("--metrics-host <host>", "address of the metrics listener (unauthenticated: keep it private)", "127.0.0.1")
    .option("--ice-server <url>", "STUN/TURN URL handed to peers (repeatable)", collect, [])
    .option("--delivery-config <file>", "SMS (Twilio) and SMTP settings, mode 0600 (default DIR/delivery.json; none: outbox)")
    .option("--customer-grace <seconds>", "how long a customer whose connection dropped may come back before the session is aborted (0: at once)", seconds, 120)
    .addOption(
      new Option("--trust-proxy <list>", "proxies whose X-Forwarded-For names the client: addresses or CIDRs, comma-separated, repeatable")
        .argParser(proxies)
        .default([], "none"),
    )
    .option("--limits <file>", "JSON file of limits to change (PIN guessing, logins, sessions, chat, timeouts, connections); see SECURITY.md")
    .addOption(new Option("--log-level <level>", "log level on stderr").choices(["fatal", "error", "warn", "info", "debug", "silent"]).default("info"))
    .addOption(new Option("--log-format <format>", "json: one JSON object a line; pretty: readable lines (default: pretty on a terminal, json otherwise)").choices(LOG_FORMATS))
    .addHelpText(
      "after",
      [
        "",
        "Delivery: without a delivery file SMS and email go to the outbox (see `outbox`). The file, JSON, mode 0600:",
        '  {"twilio": {"accountSid": "AC...", "authToken": "...", "from": "+15005550006"},',
        '   "smtp": {"host": "smtp.example.com", "port": 587, "user": "rescue", "password": "...", "from": "Rescue <support@example.com>"}}',
        "",
        "Behind a reverse proxy every client seems to come from the proxy: name it with --trust-proxy so limits and",
        "logs use the address it forwards. Without the flag X-Forwarded-For is ignored.",
        "Limits (defaults in SECURITY.md) change with --limits FILE, e.g. {\"pins\": {\"perSource\": {\"burst\": 5, \"windowMs\": 86400000}}}.",
        "",
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
      ].join("\n"),
    )
    .action(async (o: StartFlags) => {
      if (Boolean(o.tlsCert) !== Boolean(o.tlsKey)) throw new RescueError("bad_request", "--tls-cert and --tls-key go together");
      const log = serverLogger({ level: o.logLevel, ...(o.logFormat ? { format: o.logFormat } : {}) });
      serverLog = log;
      // Start-up lines are shown at any level but silent: scripts wait for "listening on".
      const announce = o.logLevel === "silent" ? log : log.child({}, { level: "info" });
      const dataDir = existingData(o.data);
      const limits = o.limits ? readLimitsFile(resolve(o.limits)) : undefined;
      const deliveryConfig = loadDeliveryConfig(o.deliveryConfig ? resolve(o.deliveryConfig) : deliveryFileIn(dataDir));
      const signal = untilSignal();
      const server = await startServer({
        dataDir,
        host: o.host,
        port: o.port ?? (o.tlsCert ? DEFAULT_TLS_PORT : DEFAULT_PORT),
        logger: log,
        ...(o.tlsCert && o.tlsKey ? { tls: { certFile: resolve(o.tlsCert), keyFile: resolve(o.tlsKey) } } : {}),
        ...(o.metricsPort !== undefined ? { metrics: { host: o.metricsHost, port: o.metricsPort } } : {}),
        ...(o.publicUrl ? { publicUrl: o.publicUrl } : {}),
        iceServers: o.iceServer.map((urls) => ({ urls })),
        delivery: carriersFrom(deliveryConfig),
        customerGraceMs: o.customerGrace * 1000,
        trustProxy: o.trustProxy,
        ...(limits ? { limits } : {}),
      });
      announce.info(`delivery: ${describeDelivery(deliveryConfig)}`);
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
      // SIGHUP would otherwise end the process: without TLS it is logged and ignored.
      const onHup = o.tlsCert ? reload : () => log.warn("SIGHUP ignored: no TLS certificate to reload");
      process.on("SIGHUP", onHup);
      const got = await signal;
      process.off("SIGHUP", onHup);
      announce.info({ signal: got }, "stopping");
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

import { Command, CommanderError } from "commander";
import { Context } from "./context.js";
import { exitCodeFor, EXIT } from "./exit.js";
import { processIO, type IO } from "./io.js";
import { packageVersion } from "./version.js";
import * as login from "./commands/login.js";
import * as logout from "./commands/logout.js";
import * as whoami from "./commands/whoami.js";
import * as chat from "./commands/chat.js";
import * as consoleCmd from "./commands/console.js";
import * as daemonStart from "./commands/daemon/start.js";
import * as daemonStop from "./commands/daemon/stop.js";
import * as daemonStatus from "./commands/daemon/status.js";
import * as sessionNew from "./commands/session/new.js";
import * as sessionPin from "./commands/session/pin.js";
import * as sessionList from "./commands/session/list.js";
import * as sessionWait from "./commands/session/wait.js";
import * as sessionStart from "./commands/session/start.js";
import * as sessionHold from "./commands/session/hold.js";
import * as sessionResume from "./commands/session/resume.js";
import * as sessionEnd from "./commands/session/end.js";
import * as sessionLog from "./commands/session/log.js";
import * as sessionStats from "./commands/session/stats.js";
import * as recordingsList from "./commands/recordings/list.js";
import * as groupCreate from "./commands/admin/group/create.js";
import * as groupSet from "./commands/admin/group/set.js";
import * as groupList from "./commands/admin/group/list.js";
import * as techAdd from "./commands/admin/technician/add.js";
import * as techList from "./commands/admin/technician/list.js";

type Registrar = { register(parent: Command, ctx: Context): void };

function group(parent: Command, name: string, description: string, ctx: Context, verbs: Registrar[]): Command {
  const cmd = parent.command(name).description(description);
  for (const v of verbs) v.register(cmd, ctx);
  return cmd;
}

function program(ctx: Context): Command {
  const { io } = ctx;
  const p = new Command("rescue")
    .description("Rescue technician tool: drive support sessions from the terminal (through the local daemon rescued)")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
    })
    .showHelpAfterError()
    .version(packageVersion(), "-V, --version", "print the version")
    .addHelpText(
      "after",
      "\nExit codes: 0 ok, 1 error, 2 usage, 3 daemon unavailable, 4 not logged in, 5 not permitted,\n" +
        "6 not found, 8 timed out, 130 interrupted. RESCUE_HOME=DIR keeps every file of the tool in DIR.\n",
    );
  for (const r of [login, logout, whoami]) r.register(p, ctx);
  group(p, "session", "create, follow and drive support sessions", ctx, [
    sessionNew, sessionPin, sessionList, sessionWait, sessionStart, sessionHold, sessionResume, sessionEnd, sessionLog, sessionStats,
  ]);
  chat.register(p, ctx);
  group(p, "recordings", "recordings made by the daemon", ctx, [recordingsList]);
  group(p, "daemon", "start, stop and inspect rescued, the local daemon", ctx, [daemonStart, daemonStop, daemonStatus]);
  const admin = p.command("admin").description("organisation administration (admins only)");
  group(admin, "group", "technician groups and their permissions", ctx, [groupCreate, groupSet, groupList]);
  group(admin, "technician", "technicians", ctx, [techAdd, techList]);
  consoleCmd.register(p, ctx);
  return p;
}

/** Runs one `rescue` invocation and returns its exit code; errors become exit codes only here. */
export async function main(argv: string[], injected?: IO): Promise<number> {
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  if (!injected) process.on("SIGINT", onSigint);
  const io = injected ?? processIO(abort.signal);
  const ctx = new Context(io);
  try {
    if (argv.length <= 2) {
      if (io.stdinIsTTY && io.stdoutIsTTY) {
        await consoleCmd.runConsoleCommand(ctx);
        return EXIT.ok;
      }
      program(ctx).outputHelp({ error: true });
      return EXIT.usage;
    }
    await program(ctx).parseAsync(argv, { from: "node" });
    return EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.code === "commander.help") return EXIT.ok;
      return EXIT.usage;
    }
    io.stderr.write(`rescue: ${(e as Error).message}\n`);
    return exitCodeFor(e);
  } finally {
    if (!injected) process.off("SIGINT", onSigint);
  }
}

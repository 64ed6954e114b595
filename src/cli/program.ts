import { Command } from "commander";
import type { Context } from "./context.js";
import { packageVersion } from "./version.js";
import * as login from "./commands/login.js";
import * as logout from "./commands/logout.js";
import * as whoami from "./commands/whoami.js";
import * as chat from "./commands/chat.js";
import * as consoleCmd from "./commands/console.js";

type Registrar = { register(parent: Command, ctx: Context): void };

interface Group {
  name: string;
  description: string;
  /** Verb modules, loaded only when this group is the one invoked. */
  verbs: () => Promise<Registrar[]>;
  subgroups?: Group[];
}

const GROUPS: Group[] = [
  {
    name: "session",
    description: "create, follow and drive support sessions",
    verbs: () =>
      Promise.all([
        import("./commands/session/new.js"),
        import("./commands/session/pin.js"),
        import("./commands/session/list.js"),
        import("./commands/session/wait.js"),
        import("./commands/session/start.js"),
        import("./commands/session/hold.js"),
        import("./commands/session/resume.js"),
        import("./commands/session/end.js"),
        import("./commands/session/log.js"),
        import("./commands/session/stats.js"),
      ]),
  },
  { name: "recordings", description: "recordings made by the daemon", verbs: () => Promise.all([import("./commands/recordings/list.js")]) },
  {
    name: "daemon",
    description: "start, stop and inspect rescued, the local daemon",
    verbs: () => Promise.all([import("./commands/daemon/start.js"), import("./commands/daemon/stop.js"), import("./commands/daemon/status.js")]),
  },
  {
    name: "admin",
    description: "organisation administration (admins only)",
    verbs: async () => [],
    subgroups: [
      {
        name: "group",
        description: "technician groups and their permissions",
        verbs: () => Promise.all([import("./commands/admin/group/create.js"), import("./commands/admin/group/set.js"), import("./commands/admin/group/list.js")]),
      },
      {
        name: "technician",
        description: "technicians",
        verbs: () => Promise.all([import("./commands/admin/technician/add.js"), import("./commands/admin/technician/list.js")]),
      },
    ],
  },
];

async function addGroup(parent: Command, group: Group, ctx: Context, invoked: boolean): Promise<void> {
  const cmd = parent.command(group.name).description(group.description);
  if (!invoked) return;
  for (const v of await group.verbs()) v.register(cmd, ctx);
  for (const sub of group.subgroups ?? []) await addGroup(cmd, sub, ctx, true);
}

/**
 * The command tree. Only the invoked group's verbs are loaded: startup stays light, and the
 * top-level help still lists every group.
 */
export async function buildProgram(ctx: Context, argv: string[]): Promise<Command> {
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
      "\nExamples:\n" +
        "  $ printf %s \"$PASSWORD\" | rescue login --server https://rescue.example.com --email me@example.com --password-stdin\n" +
        "  $ rescue session new --lens --pin --json\n" +
        "  $ rescue session wait ID --status waiting --timeout 300 && rescue session start ID\n" +
        "  $ rescue   (on a terminal: the interactive console)\n" +
        "\nExit codes: 0 ok, 1 error, 2 usage, 3 daemon unavailable, 4 not logged in, 5 not permitted,\n" +
        "6 not found, 8 timed out, 130 interrupted. RESCUE_HOME=DIR keeps every file of the tool in DIR.\n",
    );
  for (const r of [login, logout, whoami]) r.register(p, ctx);
  const first = argv[2];
  for (const g of GROUPS) await addGroup(p, g, ctx, g.name === first);
  chat.register(p, ctx);
  consoleCmd.register(p, ctx);
  return p;
}

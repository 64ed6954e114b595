import { Command } from "commander";
import { examples, type Context } from "./context.js";
import { packageVersion } from "../profile/package.js";

type Registrar = { register(parent: Command, ctx: Context): void };
type Verbs = Record<string, () => Promise<Registrar>>;

interface Group {
  name: string;
  description: string;
  /** Verb modules by name, loaded only when this group is the one invoked. */
  verbs: Verbs;
  subgroups?: Group[];
  /** Shown under the group's help, like each verb's. */
  examples?: string[];
}

/** Verbs without a group, listed before and after the groups in the help. */
const FIRST_VERBS: Verbs = {
  login: () => import("./commands/login.js"),
  logout: () => import("./commands/logout.js"),
  whoami: () => import("./commands/whoami.js"),
};
const LAST_VERBS: Verbs = {
  chat: () => import("./commands/chat.js"),
  invite: () => import("./commands/collaboration/invite.js"),
  join: () => import("./commands/collaboration/join.js"),
  console: () => import("./commands/console.js"),
  demo: () => import("./commands/demo.js"),
  version: () => import("./commands/version.js"),
  completion: () => import("./commands/completion/completion.js"),
  __complete: () => import("./commands/completion/complete.js"),
};

const GROUPS: Group[] = [
  {
    name: "session",
    description: "create, follow and drive support sessions",
    examples: [
      "rescue session new --lens --sms +31612345678 --name \"Ada Lovelace\" --json",
      "rescue session list --status waiting",
      "rescue session wait k7m2qd9xw4hbte --status waiting --timeout 300 && rescue session start k7m2qd9xw4hbte",
      "rescue session end k7m2qd9xw4hbte",
    ],
    verbs: {
      new: () => import("./commands/session/new.js"),
      pin: () => import("./commands/session/pin.js"),
      list: () => import("./commands/session/list.js"),
      wait: () => import("./commands/session/wait.js"),
      start: () => import("./commands/session/start.js"),
      hold: () => import("./commands/session/hold.js"),
      resume: () => import("./commands/session/resume.js"),
      end: () => import("./commands/session/end.js"),
      log: () => import("./commands/session/log.js"),
      stats: () => import("./commands/session/stats.js"),
      view: () => import("./commands/session/view.js"),
      snapshot: () => import("./commands/session/snapshot.js"),
      talk: () => import("./commands/session/talk.js"),
      listen: () => import("./commands/session/listen.js"),
      mute: () => import("./commands/session/mute.js"),
      unmute: () => import("./commands/session/unmute.js"),
      transfer: () => import("./commands/session/transfer.js"),
    },
  },
  {
    name: "lens",
    description: "Lens tools on the customer's camera picture: draw, erase, freeze, zoom, light",
    examples: [
      "rescue lens draw k7m2qd9xw4hbte --arrow 0.2,0.8,0.5,0.5 --color yellow",
      "rescue lens freeze k7m2qd9xw4hbte --json",
      "rescue lens torch k7m2qd9xw4hbte on",
    ],
    verbs: {
      draw: () => import("./commands/lens/draw.js"),
      erase: () => import("./commands/lens/erase.js"),
      freeze: () => import("./commands/lens/freeze.js"),
      unfreeze: () => import("./commands/lens/unfreeze.js"),
      zoom: () => import("./commands/lens/zoom.js"),
      torch: () => import("./commands/lens/torch.js"),
    },
  },
  {
    name: "simulate",
    description: "QA: play the customer's side of a session",
    examples: ["rescue simulate customer --server http://127.0.0.1:8080 --pin 482913 --duration 30 --json"],
    verbs: { customer: () => import("./commands/simulate/customer.js") },
  },
  {
    name: "apikey",
    description: "API keys for the contact-center integration",
    examples: ["rescue apikey create --name 'CRM chat' --json", "rescue apikey list", "rescue apikey revoke r4tq8zkm2wxhpa"],
    verbs: {
      create: () => import("./commands/apikey/create.js"),
      list: () => import("./commands/apikey/list.js"),
      revoke: () => import("./commands/apikey/revoke.js"),
    },
  },
  {
    name: "invitations",
    description: "invitations to collaborate that are addressed to you",
    examples: ["rescue invitations list", "rescue join --pin $(rescue invitations list --json | jq -r '.[0].pin')"],
    verbs: { list: () => import("./commands/invitations/list.js") },
  },
  {
    name: "collaborator",
    description: "the lead technician manages who collaborates in a session",
    examples: ["rescue collaborator set k7m2qd9xw4hbte ann@example.com --permission view,chat", "rescue collaborator remove k7m2qd9xw4hbte ann@example.com"],
    verbs: { set: () => import("./commands/collaborator/set.js"), remove: () => import("./commands/collaborator/remove.js") },
  },
  {
    name: "recordings",
    description: "recordings made by the daemon",
    examples: ["rescue recordings list", "rescue recordings show k7m2qd9xw4hbte", "rescue recordings open k7m2qd9xw4hbte", "rescue recordings delete k7m2qd9xw4hbte --yes"],
    verbs: {
      list: () => import("./commands/recordings/list.js"),
      show: () => import("./commands/recordings/show.js"),
      open: () => import("./commands/recordings/open.js"),
      delete: () => import("./commands/recordings/delete.js"),
    },
  },
  {
    name: "daemon",
    description: "start, stop and inspect rescued, the local daemon",
    examples: ["rescue daemon status --json", "rescue daemon stop && rescue daemon start"],
    verbs: {
      start: () => import("./commands/daemon/start.js"),
      stop: () => import("./commands/daemon/stop.js"),
      status: () => import("./commands/daemon/status.js"),
    },
  },
  {
    name: "admin",
    description: "organisation administration (admins only)",
    examples: [
      "rescue admin group create Support --permission lens,private,pin,sms,link,email,record,chat",
      "rescue admin technician add ann@example.com --group Support --json",
    ],
    verbs: {},
    subgroups: [
      {
        name: "group",
        description: "technician groups and their permissions",
        examples: ["rescue admin group create Support --permission lens,private,pin,sms,link,email,record,chat", "rescue admin group set Support --max-technicians 3", "rescue admin group list --json"],
        verbs: {
          create: () => import("./commands/admin/group/create.js"),
          set: () => import("./commands/admin/group/set.js"),
          list: () => import("./commands/admin/group/list.js"),
          delete: () => import("./commands/admin/group/delete.js"),
        },
      },
      {
        name: "technician",
        description: "technicians",
        examples: [
          "rescue admin technician add bob@example.com --group Support --json",
          "rescue admin technician list",
          "rescue admin technician disable eve@example.com",
          "rescue admin technician remove eve@example.com --force",
          "rescue admin technician reset-password eve@example.com --json",
        ],
        verbs: {
          add: () => import("./commands/admin/technician/add.js"),
          list: () => import("./commands/admin/technician/list.js"),
          set: () => import("./commands/admin/technician/set.js"),
          disable: () => import("./commands/admin/technician/disable.js"),
          enable: () => import("./commands/admin/technician/enable.js"),
          "reset-password": () => import("./commands/admin/technician/reset-password.js"),
          remove: () => import("./commands/admin/technician/remove.js"),
        },
      },
      {
        name: "external",
        description: "external technicians approved for collaboration invitations",
        examples: ["rescue admin external add vendor@partner.example --name 'Vendor support'", "rescue admin external list --json"],
        verbs: {
          add: () => import("./commands/admin/external/add.js"),
          list: () => import("./commands/admin/external/list.js"),
          remove: () => import("./commands/admin/external/remove.js"),
        },
      },
    ],
  },
];

/**
 * Registers a group; when it is the invoked one (`path` holds the rest of argv), loads the named
 * verb only, or every verb when none is named (for its help).
 */
async function addGroup(parent: Command, group: Group, ctx: Context, path: string[] | null): Promise<void> {
  const cmd = parent.command(group.name).description(group.description);
  if (group.examples) examples(cmd, ...group.examples);
  if (!path) return;
  const [next, ...rest] = path;
  const sub = group.subgroups?.find((g) => g.name === next);
  const named = next !== undefined && Object.hasOwn(group.verbs, next) ? [group.verbs[next]!] : null;
  const load = sub ? [] : (named ?? Object.values(group.verbs));
  for (const v of await Promise.all(load.map((l) => l()))) v.register(cmd, ctx);
  for (const g of group.subgroups ?? []) await addGroup(cmd, g, ctx, sub ? (g === sub ? rest : null) : named ? null : []);
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
    .version(packageVersion(), "-V, --version", "print the version")
    .addHelpText(
      "after",
      "\nExamples:\n" +
        "  $ printf %s \"$PASSWORD\" | rescue login --server https://rescue.example.com --email me@example.com --password-stdin\n" +
        "  $ rescue session new --lens --pin --json\n" +
        "  $ rescue session wait k7m2qd9xw4hbte --status waiting --timeout 300 && rescue session start k7m2qd9xw4hbte\n" +
        "  $ rescue   (on a terminal: the interactive console)\n" +
        "  $ rescue demo   (a whole Lens session on this machine: embedded server, daemon, simulated customer)\n" +
        "  $ rescue simulate customer --server http://127.0.0.1:8080 --pin 123456 --json\n" +
        "\nCommands with --json take --jq EXPR too (a jq filter on the JSON, strings printed raw), e.g.\n" +
        "  $ rescue session list --jq '.[] | select(.status == \"waiting\") | .id'\n" +
        "A filter that fails ends the command (exit 1; 2 if jq cannot compile it), on a stream (--follow, --watch) at its first failure:\n" +
        "  $ rescue chat k7m2qd9xw4hbte --follow --jq '.text | ascii_downcase'\n" +
        "\nExit codes: 0 ok, 1 error, 2 usage, 3 daemon unavailable, 4 not logged in, 5 not permitted,\n" +
        "6 not found, 8 timed out, 130 interrupted.\n" +
        "\nFiles: one folder holds them all (config.json, secrets.json where no keychain runs, run/ with the daemon's\n" +
        "socket, logs/, recordings/, snapshots/): RESCUE_HOME=DIR if set, else $XDG_CONFIG_HOME/rescue, else ~/.rescue.\n" +
        "They are not spread over the XDG data, state and runtime folders; rescue daemon status shows the folder in use.\n",
    );
  const [first, ...rest] = argv.slice(2);
  // An invoked group or verb needs no other verb; the top-level help and errors list them all.
  const named = first !== undefined && (GROUPS.some((g) => g.name === first) || Object.hasOwn(FIRST_VERBS, first) || Object.hasOwn(LAST_VERBS, first));
  const verbs = async (all: Verbs) => {
    const load = named ? Object.entries(all).filter(([name]) => name === first).map(([, l]) => l) : Object.values(all);
    for (const v of await Promise.all(load.map((l) => l()))) v.register(p, ctx);
  };
  await verbs(FIRST_VERBS);
  for (const g of GROUPS) await addGroup(p, g, ctx, g.name === first ? rest : null);
  await verbs(LAST_VERBS);
  addJq(p);
  hintAfterErrors(p);
  return p;
}

/**
 * `--jq EXPR` on every command that has `--json`, as `gh` has it: the JSON goes through the jq
 * expression (jq 1.8 in WebAssembly, jq-wasm), strings print raw. It implies --json.
 */
function addJq(cmd: Command): void {
  if (cmd.options.some((o) => o.long === "--json")) {
    cmd.option("--jq <expr>", "filter the JSON output with a jq expression (implies --json), e.g. --jq '.id' for an object, --jq '.[].id' for a list");
  }
  for (const sub of cmd.commands) addJq(sub);
  if (!cmd.parent) {
    cmd.hook("preAction", (_root, action) => {
      if (action.opts().jq !== undefined) action.setOptionValue("json", true);
    });
  }
}

/**
 * Throws the UsageError (exit 2) of a `--jq` expression jq cannot compile, so that it is refused
 * before the command does anything (creates a session, starts a daemon); what the expression does
 * with the real answer (a run-time error) is only known once there is one.
 */
export async function checkJq(action: Command): Promise<void> {
  const expr = action.opts().jq as string | undefined;
  if (expr === undefined) return;
  const { applyJq, JqRuntimeError } = await import("./jq.js");
  await applyJq(null, expr, true).catch((e: unknown) => {
    if (!(e instanceof JqRuntimeError)) throw e;
  });
}

/** The full name of a command as typed: `rescue session new`. */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

/** The one line under a usage error that says where the whole usage is. */
export function usageHint(cmd: Command): string {
  return `(${commandPath(cmd)} --help for usage)`;
}

/**
 * A usage error prints its message and one hint naming the command's own help, not the help
 * itself: the message stays on screen, and scripts' logs stay short.
 */
function hintAfterErrors(cmd: Command): void {
  cmd.showHelpAfterError(usageHint(cmd));
  for (const sub of cmd.commands) hintAfterErrors(sub);
}

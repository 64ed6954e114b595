import type { Command } from "commander";
import { Context } from "./context.js";
import { ExitWith, UsageError } from "./errors.js";
import { EXIT, exitCodeFor } from "./exit.js";
import { processIO, type IO } from "./io.js";
import { visible } from "./output.js";
import { packageVersion } from "../profile/package.js";
import { homeProblem } from "../profile/home.js";

/** Runs one `rescue` invocation and returns its exit code; errors become exit codes only here. */
export async function main(argv: string[], injected?: IO): Promise<number> {
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  if (!injected) process.on("SIGINT", onSigint);
  const io = injected ?? processIO(abort.signal);
  try {
    // Scripts ask for the version often: answer before loading anything else.
    if (argv.length === 3 && (argv[2] === "--version" || argv[2] === "-V")) {
      io.stdout.write(`${packageVersion()}\n`);
      return EXIT.ok;
    }
    return await run(argv, io);
  } finally {
    if (!injected) process.off("SIGINT", onSigint);
  }
}

async function run(given: string[], io: IO): Promise<number> {
  // `rescue help session new` is `rescue session new --help` (commander's own help command reads one level only).
  const argv = given[2] === "help" && given.length > 3 ? [...given.slice(0, 2), ...given.slice(3), "--help"] : given;
  const ctx = new Context(io);
  const [{ CommanderError }, { buildProgram, checkJq, usageHint }] = await Promise.all([import("commander"), import("./program.js")]);
  // The command that ran, so a usage error found while running it can point at its help.
  let acting: Command | null = null;
  try {
    if (argv.length <= 2) {
      if (io.stdinIsTTY && io.stdoutIsTTY) {
        const problem = homeProblem(ctx.paths.home, io.env);
        if (problem) throw new UsageError(problem);
        const { runConsoleCommand } = await import("./commands/console.js");
        await runConsoleCommand(ctx);
        return EXIT.ok;
      }
      (await buildProgram(ctx, argv)).outputHelp({ error: true });
      return EXIT.usage;
    }
    const program = await buildProgram(ctx, argv);
    program.hook("preAction", async (_root, action) => {
      acting = action;
      // Before any command touches it: said plainly, not as mkdir's EEXIST.
      const problem = homeProblem(ctx.paths.home, io.env);
      if (problem) throw new UsageError(problem);
      await checkJq(action);
    });
    try {
      await program.parseAsync(argv, { from: "node" });
    } finally {
      await ctx.flush();
    }
    return EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.code === "commander.help") return EXIT.ok;
      return EXIT.usage;
    }
    // The command already said why (or printed its JSON): only the exit code is left to give.
    if (e instanceof ExitWith) return e.code;
    // Messages may carry text from the server or a customer: never raw escapes on the terminal.
    io.stderr.write(`rescue: ${visible((e as Error).message)}\n`);
    // Every usage error (exit 2) names the command's help, also one the daemon or server found.
    const code = exitCodeFor(e);
    if (code === EXIT.usage && acting) io.stderr.write(`${usageHint(acting)}\n`);
    return code;
  }
}

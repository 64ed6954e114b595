import type { Command } from "commander";
import type { Context } from "../../context.js";
import { SHELLS } from "./scripts.js";

/**
 * The candidates for the word after `words`: the subcommands and flags of the command those
 * words name. Called by the completion scripts, so hidden from the help.
 */
export function candidates(root: Command, words: string[]): string[] {
  let cmd = root;
  for (const w of words) {
    const sub = cmd.commands.find((c) => c.name() === w || c.aliases().includes(w));
    if (sub) cmd = sub;
  }
  if (cmd.name() === "completion") return [...SHELLS];
  const subcommands = cmd.commands.filter((c) => !(c as Command & { _hidden?: boolean })._hidden).map((c) => c.name());
  const flags = cmd.options.filter((o) => !o.hidden).map((o) => o.long ?? o.short ?? "").filter(Boolean);
  return [...subcommands, ...flags, "--help"];
}

export function register(parent: Command, ctx: Context): void {
  parent
    .command("__complete", { hidden: true })
    .argument("[words...]")
    .allowUnknownOption()
    .helpOption(false)
    .action(async (words: string[]) => {
      // The tree as it is when those words are typed: the named group with its verbs loaded.
      const { buildProgram } = await import("../../program.js");
      const tree = await buildProgram(ctx, ["node", "rescue", ...words]);
      ctx.io.stdout.write(`${candidates(tree, words).join("\n")}\n`);
    });
}

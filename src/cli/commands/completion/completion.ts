import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import { examples, type Context } from "../../context.js";
import { COMPLETION_SCRIPTS, SHELLS, type Shell } from "./scripts.js";

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("completion")
    .description(`print the shell completion script (${SHELLS.join(", ")})`)
    .argument("<shell>", SHELLS.join(" | "));
  examples(
    cmd,
    'eval "$(rescue completion bash)"   (in ~/.bashrc)',
    'eval "$(rescue completion zsh)"    (in ~/.zshrc, after compinit)',
    "rescue completion fish > ~/.config/fish/completions/rescue.fish",
  );
  cmd.action((shell: string) => {
    if (!(SHELLS as readonly string[]).includes(shell)) throw new UsageError(`completion ${shell}: one of ${SHELLS.join(", ")}`);
    ctx.io.stdout.write(COMPLETION_SCRIPTS[shell as Shell]);
  });
}

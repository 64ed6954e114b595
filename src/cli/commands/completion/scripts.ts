/**
 * Shell completion scripts. Each asks `rescue __complete WORDS...` for the candidates, so
 * completion follows the installed commands and flags without being generated again.
 */
export const SHELLS = ["bash", "zsh", "fish"] as const;
export type Shell = (typeof SHELLS)[number];

export const COMPLETION_SCRIPTS: Record<Shell, string> = {
  bash: `# rescue completion for bash: eval "$(rescue completion bash)" in ~/.bashrc
_rescue_complete() {
  local IFS=$'\\n'
  local words
  words=$(rescue __complete "\${COMP_WORDS[@]:1:COMP_CWORD-1}" 2>/dev/null)
  COMPREPLY=($(compgen -W "$words" -- "\${COMP_WORDS[COMP_CWORD]}"))
}
complete -o default -F _rescue_complete rescue
`,
  zsh: `#compdef rescue
# rescue completion for zsh: eval "$(rescue completion zsh)" in ~/.zshrc (after compinit)
_rescue_complete() {
  local -a candidates
  candidates=("\${(@f)$(rescue __complete "\${(@)words[2,CURRENT-1]}" 2>/dev/null)}")
  compadd -a candidates
}
compdef _rescue_complete rescue
`,
  fish: `# rescue completion for fish: rescue completion fish > ~/.config/fish/completions/rescue.fish
complete -c rescue -f -a '(rescue __complete (commandline -opc)[2..-1] 2>/dev/null)'
`,
};

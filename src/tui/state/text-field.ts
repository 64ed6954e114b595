/**
 * Editing a one-line text field from what the terminal sends. Keys can arrive several to a chunk
 * (tmux, SSH and fast typists send a run of Backspaces as one read), so a chunk is read character
 * by character: DEL and BS erase, every other control character is dropped, never stored.
 */

export interface TypeOptions {
  /** The longest value the field keeps, in characters. */
  max: number;
  /** False for addresses and numbers: white space typed or pasted into them is dropped. */
  spaces?: boolean;
}

// Escape sequences (arrows, function keys) that reach a field inside a longer chunk.
// eslint-disable-next-line no-control-regex
const ESCAPE_SEQUENCE = /\x1b(?:\[[0-?]*[ -/]*[@-~]|O.|.)?/gs;
// C0 controls, DEL and the C1 range.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f-\x9f]/;

/** The value without its last character (a whole character, not half of a surrogate pair). */
export function eraseLast(value: string): string {
  return Array.from(value).slice(0, -1).join("");
}

/** The value after `typed` was typed at its end: erasing keys applied, control characters dropped. */
export function typeInto(value: string, typed: string, options: TypeOptions): string {
  let chars = Array.from(value);
  for (const ch of typed.replace(ESCAPE_SEQUENCE, "")) {
    if (ch === "\x7f" || ch === "\b") chars = chars.slice(0, -1);
    else if (CONTROL.test(ch)) continue;
    else if (options.spaces === false && /\s/.test(ch)) continue;
    else if (chars.length < options.max) chars.push(ch);
  }
  return chars.join("");
}


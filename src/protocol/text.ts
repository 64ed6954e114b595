/**
 * Control characters other than tab and newline (C0, DEL, C1): escape sequences that would clear,
 * recolour or retitle a technician's terminal when printed. Kept free of zod, so that the CLI's
 * printer (which every command loads, `--version` included) can use it without loading zod.
 */
export const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

const CONTROL_GLOBAL = new RegExp(CONTROL_CHARACTERS.source, "g");

/** `text` with control characters (ESC, BEL ...) in caret notation, as `cat -v` shows them: `^[`, `\x9b`. */
export function caretNotation(text: string): string {
  return text.replace(CONTROL_GLOBAL, caret);
}

function caret(c: string): string {
  const code = c.charCodeAt(0);
  return code < 0x80 ? `^${String.fromCharCode(code ^ 0x40)}` : `\\x${code.toString(16)}`;
}

const ANY_CONTROL_GLOBAL = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * `text` as one line: every control character in caret notation, tab (`^I`) and line feed (`^J`)
 * included. For a value printed inside a line of our own (a log entry's field, a table cell): a
 * newline in it would print a second line that looks like another entry.
 */
export function oneLine(text: string): string {
  return text.replace(ANY_CONTROL_GLOBAL, caret);
}

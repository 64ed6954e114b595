import { UsageError } from "./errors.js";

/** jq's exit status for an expression it cannot compile (jq 1.8's main.c: JQ_ERROR_COMPILE). */
const JQ_COMPILE_ERROR = 3;

/** A failure of the --jq expression at run time; `output` is what it printed before it failed. */
export class JqRuntimeError extends Error {
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(message);
  }
}

/**
 * `value` through the jq expression `expr` (real jq, compiled to WebAssembly by jq-wasm: no
 * binary to install), its outputs one per line, strings raw as `jq -r` prints them; `compact`
 * puts each output on one line. Errors say `--jq: <jq's message>`: one jq cannot compile is a
 * UsageError (exit 2); one at run time (`error("x")`, `.a.b` on a string, `halt_error`, even after
 * some outputs) is a JqRuntimeError (exit 1) carrying the outputs that came before it, as jq
 * prints them before its error. jq-wasm reports jq's exit status through patches/jq-wasm+1.0.1.patch.
 */
export async function applyJq(value: unknown, expr: string, compact: boolean): Promise<string> {
  const jq = await import("jq-wasm");
  try {
    return await jq.raw(JSON.stringify(value ?? null), expr, compact ? ["-r", "-c"] : ["-r"]);
  } catch (e) {
    const err = e as Error & { exitStatus?: number; stdout?: string };
    const message = String(err.message ?? e).trim();
    if (err.exitStatus === JQ_COMPILE_ERROR || /compile error/.test(message)) throw new UsageError(`--jq: ${compileErrors(message)}`);
    throw new JqRuntimeError(`--jq: ${jqMessage(message, err.exitStatus)}`, err.stdout ?? "");
  }
}

/**
 * jq's compile errors on one line: each "jq: error: ..." line, without the source lines jq echoes
 * under them and its "N compile errors" count (`break` alone has two: the syntax and the label).
 */
function compileErrors(message: string): string {
  const errors = message.split("\n").filter((l) => l.startsWith("jq: error")).map((l) => l.replace(/:\s*$/, ""));
  return errors.length > 0 ? errors.join("; ") : message.split("\n")[0]!;
}

/** jq's message without the place it read from (always its one input), or what happened when it said nothing. */
function jqMessage(message: string, status: number | undefined): string {
  // The WebAssembly runtime's own abort: unbounded recursion or memory.
  if (/^Aborted\(/.test(message)) return "jq aborted: the expression ran out of stack or memory";
  const cleaned = message.replace(/^jq: error \(at (?:\/dev\/stdin:\d+|<unknown>)\)/, "jq: error");
  if (cleaned !== "") return cleaned;
  return status === undefined ? "jq failed without a message" : `jq stopped with exit status ${status} and no message (halt_error)`;
}

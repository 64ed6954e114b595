import { UsageError } from "./errors.js";

/**
 * `value` through the jq expression `expr` (real jq, compiled to WebAssembly by jq-wasm: no
 * binary to install), its outputs one per line, strings raw as `jq -r` prints them; `compact`
 * puts each output on one line. A jq compile error is a UsageError naming --jq; a run-time error
 * (`error("x")`, `.a.b` on a string) is an Error with jq's message.
 */
export async function applyJq(value: unknown, expr: string, compact: boolean): Promise<string> {
  const jq = await import("jq-wasm");
  try {
    return await jq.raw(JSON.stringify(value ?? null), expr, compact ? ["-r", "-c"] : ["-r"]);
  } catch (e) {
    const message = String((e as Error).message ?? e).trim();
    if (/compile error/.test(message)) throw new UsageError(`--jq: ${message.split("\n")[0]}`);
    throw new Error(`--jq: ${message}`);
  }
}

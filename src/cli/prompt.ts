import { Interrupted } from "./errors.js";
import type { IO } from "./io.js";

/** Reads all of stdin (for --password-stdin), without the final line break. */
export async function readAllStdin(io: IO): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of io.stdin) chunks.push(typeof c === "string" ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
}

/** Asks on the terminal; with `hidden` nothing typed is echoed. Only called when stdin is a TTY. */
export function ask(io: IO, question: string, hidden: boolean): Promise<string> {
  io.stderr.write(question);
  const stdin = io.stdin;
  return new Promise((resolve, reject) => {
    let value = "";
    const raw = hidden && typeof stdin.setRawMode === "function";
    if (raw) stdin.setRawMode!(true);
    const finish = (err?: Error) => {
      stdin.off("data", onData);
      if (raw) stdin.setRawMode!(false);
      stdin.pause();
      io.stderr.write("\n");
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (data: Buffer | string) => {
      for (const ch of data.toString("utf8")) {
        if (ch === "\u0003") return finish(new Interrupted());
        if (ch === "\r" || ch === "\n") return finish();
        if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on("data", onData);
    stdin.resume();
  });
}

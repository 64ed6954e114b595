import { isatty } from "node:tty";

/** Everything a command touches of the outside world, injected so tests run commands in-process. */
export interface Output {
  /** `done` is called once the chunk was handed on (a terminal took it): the pace of live output. */
  write(chunk: string, done?: () => void): unknown;
}

export interface IO {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  stdout: Output;
  stderr: Output;
  stdinIsTTY: boolean;
  stdoutIsTTY: boolean;
  env: Record<string, string | undefined>;
  now(): number;
  /** Aborted when the user interrupts (Ctrl-C); long waits listen to it. */
  signal: AbortSignal;
}

export function processIO(signal: AbortSignal): IO {
  // A reader that goes away (`rescue session list | head -1`) ends us quietly, as for any Unix tool.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE") process.exit(0);
      throw e;
    });
  }
  return {
    // process.stdin builds its stream on first use (a few ms): only commands that read it pay.
    get stdin() {
      return process.stdin;
    },
    stdout: process.stdout,
    stderr: process.stderr,
    stdinIsTTY: isatty(0),
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    env: process.env,
    now: () => Date.now(),
    signal,
  };
}

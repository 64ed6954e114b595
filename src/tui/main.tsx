// First: Ink must load with the CI variables hidden (see interactive-env.ts).
import { restoreCiEnv } from "./interactive-env.js";
import { render } from "ink";
import { RescueError } from "../protocol/index.js";
import { App, DEFAULT_TIMINGS, type ConsoleTimings } from "./App.js";
import type { ConsoleClient } from "./client.js";
import { guardStdin, InputErrors } from "./input-guard.js";

export type { ConsoleClient } from "./client.js";

restoreCiEnv();

export interface ConsoleIo {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
}

/**
 * Runs the technician console until q or Ctrl-C; resolves with the exit code. An error thrown
 * while a key is handled does not end it: the notice line shows it and `log` (when given) gets
 * its stack, one call per error.
 */
export async function runConsole(
  client: ConsoleClient,
  io?: ConsoleIo,
  timings: ConsoleTimings = DEFAULT_TIMINGS,
  log?: (message: string) => void,
): Promise<number> {
  const stdin = io?.stdin ?? process.stdin;
  const stdout = io?.stdout ?? process.stdout;
  if (!stdin.isTTY || !stdout.isTTY) {
    throw new RescueError("bad_request", "the console needs a terminal; use the rescue session commands in scripts");
  }
  const inputErrors = new InputErrors();
  if (log) inputErrors.on("failed", (err: unknown) => log(`console: a key could not be handled: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`));
  const instance = render(<App client={client} timings={timings} inputErrors={inputErrors} />, {
    stdin: guardStdin(stdin, inputErrors),
    stdout,
    // q and Ctrl-C go through the console's own key handling so both leave the same way.
    exitOnCtrlC: false,
    // Stray console output would tear the screen; Ink reroutes it where console can be rebuilt
    // (test runners swap the global console for one that cannot).
    patchConsole: typeof console.Console === "function",
  });
  await instance.waitUntilExit();
  return 0;
}

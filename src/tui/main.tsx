// First: Ink must load with the CI variables hidden (see interactive-env.ts).
import { restoreCiEnv } from "./interactive-env.js";
import { render } from "ink";
import { RescueError } from "../protocol/index.js";
import { App, DEFAULT_TIMINGS, type ConsoleTimings } from "./App.js";
import type { ConsoleClient } from "./client.js";

export type { ConsoleClient } from "./client.js";

restoreCiEnv();

export interface ConsoleIo {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
}

/** Runs the technician console until q or Ctrl-C; resolves with the exit code. */
export async function runConsole(client: ConsoleClient, io?: ConsoleIo, timings: ConsoleTimings = DEFAULT_TIMINGS): Promise<number> {
  const stdin = io?.stdin ?? process.stdin;
  const stdout = io?.stdout ?? process.stdout;
  if (!stdin.isTTY || !stdout.isTTY) {
    throw new RescueError("bad_request", "the console needs a terminal; use the rescue session commands in scripts");
  }
  const instance = render(<App client={client} timings={timings} />, {
    stdin,
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

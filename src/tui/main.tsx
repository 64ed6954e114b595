import { render } from "ink";
import { App, DEFAULT_TIMINGS, type ConsoleTimings } from "./App.js";
import type { ConsoleClient } from "./client.js";

export type { ConsoleClient } from "./client.js";

export interface ConsoleIo {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
}

/** Runs the technician console until q or Ctrl-C; resolves with the exit code. */
export async function runConsole(client: ConsoleClient, io?: ConsoleIo, timings: ConsoleTimings = DEFAULT_TIMINGS): Promise<number> {
  const instance = render(<App client={client} timings={timings} />, {
    stdin: io?.stdin ?? process.stdin,
    stdout: io?.stdout ?? process.stdout,
    // q and Ctrl-C go through the console's own key handling so both leave the same way.
    exitOnCtrlC: false,
  });
  await instance.waitUntilExit();
  return 0;
}

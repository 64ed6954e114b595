/**
 * SIGHUP asks a running `rescue-server start` to read its TLS files again. Its default action ends
 * the process, and loading the server's modules takes a while (hundreds of ms on a busy machine),
 * so bin/rescue-server.js holds the signal from its first statement until `start` has its own
 * handler. This module imports nothing, so that it loads at once.
 */

let held = 0;
let holding = false;
const hold = (): void => {
  held++;
};

/** Holds SIGHUPs (counting them) when `argv` runs `start`; other commands keep the default action. */
export function holdSighup(argv: readonly string[]): void {
  if (argv[2] !== "start" || holding) return;
  holding = true;
  process.on("SIGHUP", hold);
}

/** Stops holding; returns how many SIGHUPs came meanwhile (0 when nothing held them). */
export function releaseSighup(): number {
  if (!holding) return 0;
  process.off("SIGHUP", hold);
  holding = false;
  const n = held;
  held = 0;
  return n;
}

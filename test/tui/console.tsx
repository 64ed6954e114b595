import { afterEach, expect, vi } from "vitest";
import { App, type ConsoleTimings } from "../../src/tui/App.js";
import type { FakeDaemon } from "./fake-daemon.js";
import { renderAt } from "./terminal.js";

/** Retries, stats polls and the clock fast enough for tests. */
export const FAST: ConsoleTimings = { retryMs: 40, statsMs: 40, tickMs: 100 };

export interface ConsoleDefaults {
  columns?: number;
  rows?: number;
  /** Where the clipboard and browser tools are looked up (App's default: the process's own). */
  env?: Record<string, string | undefined>;
  /** Long lines wrap: `see` compares the screen's words, whatever line they fell on. */
  wordwise?: boolean;
  /** How long `see` waits by default, ms (5000). */
  seeMs?: number;
}

/**
 * The real Ink console on a fake daemon at a fixed terminal size, unmounted after each test of the
 * file that calls this at its top: `const open = consolePerTest({ columns: 100 })`, then
 * `const t = open(daemon)` in a test. `see(text)` waits until the screen shows it; `type(...keys)`
 * writes each argument as one read of the terminal (a key, or a burst of them), 5 ms apart.
 */
export function consolePerTest(defaults: ConsoleDefaults = {}) {
  const opened: Array<{ unmount: () => void }> = [];
  afterEach(() => {
    for (const i of opened.splice(0)) i.unmount();
  });
  return (daemon: FakeDaemon, columns = defaults.columns ?? 80, rows = defaults.rows ?? 24, env = defaults.env) => {
    const t = renderAt(<App client={daemon} timings={FAST} env={env} />, columns, rows);
    opened.push(t.instance);
    const words = () => t.lastFrame().replace(/\s+/g, " ");
    const see = (text: string | RegExp, timeout = defaults.seeMs ?? 5000) =>
      vi.waitFor(
        () =>
          typeof text !== "string"
            ? expect(t.lastFrame()).toMatch(text)
            : defaults.wordwise
              ? expect(words()).toContain(text.replace(/\s+/g, " "))
              : expect(t.lastFrame()).toContain(text),
        { timeout },
      );
    const type = async (...chunks: string[]) => {
      for (const c of chunks) {
        t.stdin.write(c);
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    return { ...t, see, type, words };
  };
}

import type { Session } from "../../../protocol/session.js";
import { formatElapsed } from "../../../tui/format.js";
import type { IO } from "../../io.js";

export interface WaitProgress {
  /** What is known of the awaited session so far (its name and PIN show once known). */
  seen(session: Session | undefined): void;
  /** Erases the line, so the result or the error prints on a clean line; once is enough. */
  stop(): void;
}

const quiet: WaitProgress = { seen() {}, stop() {} };

/**
 * One line on stderr that says what `session wait` waits for and for how long, redrawn every
 * second. Only for a person at a terminal: when stdout is piped or --json is asked for, nothing.
 */
export function waitProgress(io: IO, target: { id?: string; status: string; json?: boolean }, everyMs = 1000): WaitProgress {
  if (!io.stdoutIsTTY || target.json) return quiet;
  const since = io.now();
  let session: Session | undefined;
  let stopped = false;
  const draw = () => {
    const who = target.id === undefined ? "any session" : `session ${target.id}${session?.name ? ` (${session.name})` : ""}`;
    const pin = session?.pin ? `, PIN ${session.pin}` : "";
    io.stderr.write(`\r\x1b[Kwaiting for ${who}${pin} to be ${target.status} · ${formatElapsed(io.now() - since)} (Ctrl-C stops)`);
  };
  draw();
  const timer = setInterval(draw, everyMs);
  return {
    seen(s) {
      if (!s || (target.id !== undefined && s.id !== target.id)) return;
      session = s;
      draw();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      io.stderr.write("\r\x1b[K");
    },
  };
}

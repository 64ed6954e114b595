import { useStdout } from "ink";
import { useEffect } from "react";

/** xterm's button reports (1000) in SGR form (1006): `CSI < b ; col ; row M` on press, `m` on release. */
export const MOUSE_ON = "\x1b[?1000h\x1b[?1006h";
export const MOUSE_OFF = "\x1b[?1006l\x1b[?1000l";

/**
 * Asks the terminal for mouse clicks while `enabled`, and stops asking when it turns false, the
 * console closes, or the process exits in any way (a crash included): a terminal left reporting
 * would print escape codes on every click in the shell that follows.
 */
export function useMouseReporting(enabled: boolean): void {
  const { stdout } = useStdout();
  useEffect(() => {
    if (!enabled) return;
    const off = () => {
      try {
        stdout.write(MOUSE_OFF);
      } catch {
        // stdout already closed: no terminal is left to reset.
      }
    };
    stdout.write(MOUSE_ON);
    process.once("exit", off);
    return () => {
      process.off("exit", off);
      off();
    };
  }, [enabled, stdout]);
}

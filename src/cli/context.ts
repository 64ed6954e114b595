import type { Command } from "commander";
import type { DaemonClient } from "./daemon/client.js";
import type { IO } from "./io.js";
import { homePaths, rescueHome, type HomePaths } from "../profile/home.js";
import { Printer } from "./output.js";

/** What every command gets: its IO, the profile's paths, and the daemon on demand. */
export class Context {
  readonly paths: HomePaths;

  constructor(readonly io: IO) {
    this.paths = homePaths(rescueHome(io.env));
  }

  /**
   * The daemon client, loaded only by commands that need it. Unless told otherwise (or
   * RESCUE_NO_AUTOSTART=1), a daemon that is not running is started on the first request.
   */
  async daemon(opts: { autostart?: boolean } = {}): Promise<DaemonClient> {
    const { DaemonClient } = await import("./daemon/client.js");
    const autostart = (opts.autostart ?? true) && this.io.env.RESCUE_NO_AUTOSTART !== "1";
    const start = async () => {
      const [{ startDaemon }, { guardSecrets }] = await Promise.all([import("./daemon/spawn.js"), import("../profile/credentials.js")]);
      // The daemon reads the token; said here, a loose token file is reported where it is seen.
      for (const m of guardSecrets(this.paths.secrets)) this.warn(m);
      await startDaemon(this.paths, this.io.env);
    };
    return new DaemonClient(this.paths.socket, autostart ? start : undefined);
  }

  /** A warning for people on stderr (`warning: ...`), whatever the output mode. */
  warn = (message: string): void => {
    this.io.stderr.write(`warning: ${message}\n`);
  };

  private readonly printers: Printer[] = [];
  private readonly outputFailure = new AbortController();

  /**
   * Aborted, with the error as its reason, when a printer's `--jq` filter fails. A stream
   * (`--follow`, `--watch`) stops on it and throws the reason, so the failure is reported
   * (exit 1, or 2 for an expression jq cannot compile) at once, not when the stream ends.
   */
  get outputFailed(): AbortSignal {
    return this.outputFailure.signal;
  }

  /** A printer for the command's options: `--json`, and `--jq EXPR` (which implies --json). */
  printer(opts: { json?: boolean; jq?: string }): Printer {
    const onFailure = (e: unknown) => {
      if (!this.outputFailure.signal.aborted) this.outputFailure.abort(e);
    };
    const p = new Printer(this.io, Boolean(opts.json) || opts.jq !== undefined, opts.jq, onFailure);
    this.printers.push(p);
    return p;
  }

  /** Waits until every printer has written what it was given (`--jq` output is written asynchronously). */
  async flush(): Promise<void> {
    for (const p of this.printers) await p.done();
  }
}

/** Help text listing examples, shown after the options of `--help`. */
export function examples(cmd: Command, ...lines: string[]): Command {
  return cmd.addHelpText("after", `\nExamples:\n${lines.map((l) => `  $ ${l}`).join("\n")}\n`);
}

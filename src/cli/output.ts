import { caretNotation, oneLine } from "../protocol/text.js";
import type { IO, Output } from "./io.js";

/** "3 min ago", "in 20 min": for people; piped output keeps ISO times. */
export function relativeTime(iso: string | null | undefined, now: number): string {
  if (!iso) return "-";
  const diff = Date.parse(iso) - now;
  const abs = Math.abs(diff);
  const units: [number, string][] = [
    [86_400_000, "d"],
    [3_600_000, "h"],
    [60_000, "min"],
    [1000, "s"],
  ];
  if (abs < 1000) return "just now";
  const [size, name] = units.find(([ms]) => abs >= ms) ?? [1000, "s"];
  const n = Math.floor(abs / size);
  return diff < 0 ? `${n} ${name} ago` : `in ${n} ${name}`;
}

/** "18:06:17", local time of day; the text as it is when it is no time. */
export function clockTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toTimeString().slice(0, 8);
}

export interface Column<T> {
  header: string;
  value(row: T): string;
  /** Shown instead of `value` on a terminal, e.g. a relative time. */
  human?(row: T, now: number): string;
}

/** `text` with control characters (ESC, BEL ...) in caret notation, as `cat -v` shows them. */
export const visible = caretNotation;

/**
 * `v` through the jq expression `expr` (`--jq`), written to `stdout`, each output on its own line,
 * strings raw. A raw string may hold what a customer or collaborator wrote: on a terminal (`tty`)
 * its control characters are shown, not obeyed; a pipe gets the data as it is. A bad expression
 * rejects with UsageError; one that fails at run time writes the outputs before the failure (as
 * jq does), then rejects with JqRuntimeError. Also `rescue-server`'s `--jq`.
 */
export async function writeJq(stdout: Output, tty: boolean, v: unknown, expr: string, compact: boolean): Promise<void> {
  const write = (text: string) => {
    const shown = tty ? visible(text) : text;
    if (shown) stdout.write(shown.endsWith("\n") ? shown : `${shown}\n`);
  };
  const { applyJq, JqRuntimeError } = await import("./jq.js");
  try {
    write(await applyJq(v, expr, compact));
  } catch (e) {
    if (e instanceof JqRuntimeError) write(e.output);
    throw e;
  }
}

/**
 * Writes what a command found: JSON when asked, an aligned table with headers on a terminal,
 * and tab-separated plain lines without decoration when piped.
 */
export class Printer {
  /** Filtered output still being written, in order (see `done`). */
  private pending: Promise<void> = Promise.resolve();

  /**
   * `jq`: a jq expression every JSON value goes through before it is printed (`--jq`).
   * `onFailure`: told the filter's first error (UsageError or JqRuntimeError) as soon as it
   * happens, so a stream (`--follow`, `--watch`) can stop then rather than when it ends.
   */
  constructor(
    private readonly io: IO,
    readonly json: boolean,
    private readonly jq?: string,
    private readonly onFailure?: (err: unknown) => void,
  ) {}

  get tty(): boolean {
    return this.io.stdoutIsTTY;
  }

  /** The command's JSON answer: indented on a terminal, one line when piped; through `--jq` when given. */
  value(v: unknown): void {
    if (this.jq !== undefined) this.filtered(v, !this.tty);
    else this.io.stdout.write(`${JSON.stringify(v, null, this.tty ? 2 : undefined)}\n`);
  }

  /** One value of a stream (NDJSON: `--follow`, `--watch`), on one line; through `--jq` when given. */
  jsonLine(v: unknown): void {
    if (this.jq !== undefined) this.filtered(v, true);
    else this.io.stdout.write(`${JSON.stringify(v)}\n`);
  }

  /** Resolves once every filtered value is written; rejects with the filter's error (a bad expression: UsageError). */
  done(): Promise<void> {
    return this.pending;
  }

  private filtered(v: unknown, compact: boolean): void {
    const expr = this.jq!;
    this.pending = this.pending.then(() =>
      writeJq(this.io.stdout, this.tty, v, expr, compact).catch((e: unknown) => {
        this.onFailure?.(e);
        throw e;
      }),
    );
    // After the first failure the chain stays rejected: later values are not filtered or written, as jq stops at its first error.
    // A stream (--follow) reads done() only when it ends: until then the failure must not count as unhandled.
    this.pending.catch(() => undefined);
  }

  /** One line of output; control characters in it (from names, chat, logs) are shown as ^X, never sent raw. */
  line(text: string): void {
    this.io.stdout.write(`${visible(text)}\n`);
  }

  /** Writes terminal control sequences of the command's own (a screen clear), as they are. */
  control(sequence: string): void {
    this.io.stdout.write(sequence);
  }

  /** A message for people, on stderr so stdout stays data. */
  info(text: string): void {
    this.io.stderr.write(`${text}\n`);
  }

  table<T>(rows: T[], columns: Column<T>[], empty = "nothing to show"): void {
    if (!this.tty) {
      for (const r of rows) this.line(columns.map((c) => oneLine(c.value(r))).join("\t"));
      return;
    }
    if (rows.length === 0) {
      this.info(empty);
      return;
    }
    const now = this.io.now();
    const cells = rows.map((r) => columns.map((c) => oneLine(c.human ? c.human(r, now) : c.value(r))));
    const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => row[i]!.length)));
    const fmt = (row: string[]) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ");
    this.line(fmt(columns.map((c) => c.header.toUpperCase())));
    for (const row of cells) this.line(fmt(row));
  }
}

import { EventEmitter } from "node:events";
import { render } from "ink";
import type { ReactElement } from "react";

/** Removes colour and style codes, leaving what a person reads. */
export function plain(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, "");
}

/** A terminal of a chosen size that keeps every frame Ink draws and can be resized. */
export class TestStdout extends EventEmitter {
  readonly frames: string[] = [];
  isTTY = true;
  constructor(
    public columns: number,
    public rows: number,
  ) {
    super();
  }
  write = (frame: string): boolean => {
    this.frames.push(frame);
    return true;
  };
  lastFrame(): string {
    return plain(this.frames.at(-1) ?? "").replace(/\x07/g, "");
  }
  resize(columns: number, rows: number): void {
    this.columns = columns;
    this.rows = rows;
    this.emit("resize");
  }
}

/** Keys typed into the app, in the shape Ink reads stdin. */
export class TestStdin extends EventEmitter {
  readonly isTTY = true;
  private pending: string[] = [];
  write(data: string): void {
    this.pending.push(data);
    this.emit("readable");
  }
  read = (): string | null => this.pending.shift() ?? null;
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}

export const KEYS = { up: "\x1b[A", down: "\x1b[B", right: "\x1b[C", left: "\x1b[D", enter: "\r", escape: "\x1b", tab: "\t", backspace: "\x7f", ctrlC: "\x03" };

export function renderAt(tree: ReactElement, columns = 80, rows = 24) {
  const stdout = new TestStdout(columns, rows);
  const stdin = new TestStdin();
  const instance = render(tree, {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    stderr: new TestStdout(columns, rows) as unknown as NodeJS.WriteStream,
    debug: true,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  return { stdout, stdin, instance, lastFrame: () => stdout.lastFrame() };
}

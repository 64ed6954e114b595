import type { RgbFrame } from "../../media/video-decoder.js";
import { LivePicture, type VideoSource } from "../../picture/live-picture.js";
import { createRenderer, DEFAULT_CELL, parseTerminalReply, rendererFromEnv, TERMINAL_QUERY, type RendererKind, type TerminalReply } from "../../picture/renderer.js";
import { UsageError } from "../errors.js";
import type { IO } from "../io.js";

/** What the terminal viewer needs of stdout beyond writing: a TTY's size and resize events. */
interface TtyOut {
  columns?: number;
  rows?: number;
  on?(event: "resize", fn: () => void): unknown;
  off?(event: "resize", fn: () => void): unknown;
  write(chunk: string, done?: () => void): unknown;
}

export interface TerminalViewOptions {
  renderer?: RendererKind;
  /** Show this many frames, then stop; none: until the session ends or Ctrl-C. */
  frames?: number;
  /** Picture area in cells when stdout is not a terminal. */
  size?: { cols: number; rows: number };
  /** One line under the picture on a terminal; called once a second. */
  status(): string;
}

export interface ViewResult {
  shown: number;
  /** Why it stopped: the frames asked for were shown, the video ended, the daemon went away, or the user interrupted. */
  end: "frames" | "ended" | "cut" | "interrupted";
  error?: Error;
}

const ENTER = "\x1b[?1049h\x1b[?25l\x1b[2J";
const LEAVE = "\x1b_Ga=d,d=A,q=2\x1b\\\x1b[0m\x1b[?25h\x1b[?1049l";

/**
 * Shows a live video in the terminal: decodes at the size of the terminal, paints only the newest
 * picture and paints the next one only once the terminal took the last (frames are dropped,
 * never queued, so the picture never lags the stream), follows resizes, and restores the screen.
 * On a TTY it uses the alternate screen and a status line; piped, it writes the frames one after
 * another, each starting with a cursor-home.
 */
export async function viewInTerminal(io: IO, open: () => Promise<VideoSource>, opts: TerminalViewOptions): Promise<ViewResult> {
  const out = io.stdout as TtyOut;
  const tty = io.stdoutIsTTY;
  if (tty && !opts.renderer && io.env.TERM === "dumb") {
    throw new UsageError("TERM=dumb: this terminal shows neither colours nor pictures; use --window, or --renderer blocks to draw anyway");
  }
  const reply = tty && !opts.renderer ? await queryTerminal(io) : { sixel: false, cell: null };
  const kind = opts.renderer ?? (tty ? (rendererFromEnv(io.env) ?? (reply.sixel ? "sixel" : "blocks")) : "blocks");
  const renderer = createRenderer(kind, reply.cell ?? DEFAULT_CELL);
  const area = () => {
    if (tty) return { cols: Math.max(4, out.columns ?? 80), rows: Math.max(2, (out.rows ?? 24) - 1) };
    if (opts.size) return opts.size;
    return { cols: Number(io.env.COLUMNS) || 80, rows: Number(io.env.LINES) || 24 };
  };
  let { cols, rows } = area();
  let box = renderer.box(cols, rows);
  const picture = new LivePicture(open, box, io.env as NodeJS.ProcessEnv);

  let shown = 0;
  let busy = false;
  let pending: RgbFrame | null = null;
  let finish: (r: ViewResult) => void = () => undefined;
  const done = new Promise<ViewResult>((resolve) => (finish = resolve));
  const paint = (): void => {
    const frame = pending;
    if (!frame || busy) return;
    pending = null;
    busy = true;
    const bytes = renderer.draw(frame, cols, rows, 1) + (tty ? "" : "\n");
    out.write(bytes, () => {
      busy = false;
      shown++;
      if (opts.frames !== undefined && shown >= opts.frames) finish({ shown, end: "frames" });
      else paint();
    });
  };
  picture.on("frame", (frame) => {
    // A picture decoded for the old size is of no use after a resize.
    if (frame.width !== box.width || frame.height !== box.height) return;
    pending = frame;
    paint();
  });
  picture.on("end", ({ error, cut }) => finish({ shown, end: cut ? "cut" : "ended", ...(error ? { error } : {}) }));
  const onAbort = () => finish({ shown, end: "interrupted" });
  io.signal.addEventListener("abort", onAbort);
  let resizeTimer: NodeJS.Timeout | undefined;
  const onResize = () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      ({ cols, rows } = area());
      box = renderer.box(cols, rows);
      out.write("\x1b[2J");
      picture.resize(box).catch((error: Error) => finish({ shown, end: "ended", error }));
    }, 150);
  };
  let statusTimer: NodeJS.Timeout | undefined;
  if (tty) {
    out.write(ENTER);
    out.on?.("resize", onResize);
    const drawStatus = () => out.write(`\x1b7\x1b[${rows + 1};1H\x1b[2K\x1b[0m${opts.status().slice(0, cols)}\x1b8`);
    drawStatus();
    statusTimer = setInterval(drawStatus, 1000);
  }
  try {
    await picture.start();
    return await done;
  } finally {
    io.signal.removeEventListener("abort", onAbort);
    clearTimeout(resizeTimer);
    clearInterval(statusTimer);
    picture.close();
    if (tty) {
      out.off?.("resize", onResize);
      out.write(LEAVE);
    }
  }
}

/**
 * Asks the terminal for its cell size and device attributes (sixel), waiting at most `timeoutMs`:
 * a terminal that answers nothing gets half blocks and the default cell.
 */
async function queryTerminal(io: IO, timeoutMs = 300): Promise<TerminalReply> {
  const stdin = io.stdin;
  if (!io.stdinIsTTY || !stdin.setRawMode) return { sixel: false, cell: null };
  stdin.setRawMode(true);
  let reply = "";
  let onData: (chunk: Buffer | string) => void = () => undefined;
  try {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      onData = (chunk) => {
        reply += chunk.toString();
        if (/\x1b\[\?[\d;]*c/.test(reply)) {
          clearTimeout(timer);
          resolve();
        }
      };
      stdin.on("data", onData);
      stdin.resume();
      io.stdout.write(TERMINAL_QUERY);
    });
  } finally {
    stdin.off("data", onData);
    stdin.setRawMode(false);
    stdin.pause();
  }
  return parseTerminalReply(reply);
}

import { readFile } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import { writeFileAtomic } from "./atomic-file.js";

/**
 * One thing that happened during a recording, on the recording's own clock: `atMs` is
 * milliseconds from its first frame, the clock its WebM timestamps use (see Recorder.clockMs).
 * `kind` names it as the session log does (chat, annotation, freeze, unfreeze, camera, snapshot,
 * hold, resume, customer-paused, customer-resumed, collaborator-joined, collaborator-left,
 * media-lost, media-restored, segment); `text` is a one-line summary for people; `detail` holds
 * the event's fields.
 */
export interface TimelineEntry {
  atMs: number;
  kind: string;
  text: string;
  detail?: Record<string, unknown>;
}

/** How many entries a recording keeps (a busy drawing session stays bounded). */
const KEEP = 5000;
/** How long (ms) new entries may wait before the .vtt on disk is rewritten. */
const SAVE_DELAY_MS = 200;
/** How long a cue lasts for a player that shows it, ms. */
const CUE_MS = 2000;

/** `recordings/abc.webm` -> `recordings/abc.vtt`. */
export function timelinePathFor(recordingPath: string): string {
  return join(dirname(recordingPath), `${basename(recordingPath, extname(recordingPath))}.vtt`);
}

/**
 * The timeline of one recording (a segment): entries in the order they happened, written beside
 * the recording as WebVTT (see timelineVtt) soon after each one (atomically, 0600) so a crash
 * loses at most the last fraction of a second; `close` writes the last of them.
 */
export class Timeline {
  private readonly list: TimelineEntry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private saving: Promise<void> = Promise.resolve();
  private closed = false;

  /**
   * `clockMs` gives the time on the recording's clock at a performance.now() moment (default:
   * now), or undefined before its first frame (entries then land at 0). `onError` hears a failed
   * write (a full disk); the entries stay in memory.
   */
  constructor(
    readonly recordingPath: string,
    private readonly clockMs: (nowMs?: number) => number | undefined,
    private readonly onError: (error: Error) => void = () => undefined,
  ) {}

  get path(): string {
    return timelinePathFor(this.recordingPath);
  }

  /**
   * Adds an entry at the recording's time now, or at `happenedAt` (epoch ms) for something noticed
   * after it happened (media lost: the last packet, seconds before the watch tells).
   */
  add(kind: string, text: string, detail?: Record<string, unknown>, happenedAt?: number): TimelineEntry | undefined {
    if (this.closed) return undefined;
    const clock = happenedAt === undefined ? this.clockMs() : this.clockMs(performance.now() - Math.max(0, Date.now() - happenedAt));
    const entry: TimelineEntry = { atMs: Math.max(0, Math.round(clock ?? 0)), kind, text: oneLine(text), ...(detail ? { detail } : {}) };
    this.list.push(entry);
    if (this.list.length > KEEP) this.list.shift();
    this.timer ??= setTimeout(() => void this.save(), SAVE_DELAY_MS);
    return entry;
  }

  /** The entries in time order (an event stamped against a late frame may come in after a later one). */
  entries(): TimelineEntry[] {
    return this.list.map((e) => ({ ...e })).sort((a, b) => a.atMs - b.atMs);
  }

  /** Writes what is pending and stops taking entries; returns the entries. */
  async close(): Promise<TimelineEntry[]> {
    this.closed = true;
    await this.save();
    return this.entries();
  }

  private save(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const text = timelineVtt(this.list);
    this.saving = this.saving
      .then(() => writeFileAtomic(this.path, text))
      .catch((e: Error) => {
        try {
          this.onError(e);
        } catch {
          // a listener's failure must not stop later saves
        }
      });
    return this.saving;
  }
}

/**
 * The entries as WebVTT metadata cues: one cue per entry, from `atMs` for two seconds, its
 * identifier `N kind`, its payload the entry as one line of JSON. What WebVTT cannot hold in a
 * payload (`-->`, `<`, `&`, line breaks) never appears: JSON escapes line breaks, and `<`, `>`
 * and `&` are written as \u003c, \u003e and \u0026, which JSON.parse reads back unchanged.
 * Cues are in start-time order, as WebVTT requires.
 */
export function timelineVtt(entries: readonly TimelineEntry[]): string {
  const lines = ["WEBVTT - Rescue recording timeline", "", "NOTE each cue's payload is one event as JSON: atMs, kind, text, detail", ""];
  const sorted = [...entries].sort((a, b) => a.atMs - b.atMs);
  sorted.forEach((entry, i) => {
    lines.push(`${i + 1} ${entry.kind.replace(/[^a-z0-9-]/gi, "")}`);
    lines.push(`${vttTime(entry.atMs)} --> ${vttTime(entry.atMs + CUE_MS)}`);
    lines.push(safeJson(entry));
    lines.push("");
  });
  return `${lines.join("\n")}\n`;
}

/**
 * The entries of a timeline written by timelineVtt (cues whose payload is not an entry are
 * skipped): how a crash-left recording's finaliser gets its timeline back.
 */
export function parseTimelineVtt(text: string): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      const v = JSON.parse(line) as TimelineEntry;
      if (typeof v.atMs === "number" && typeof v.kind === "string" && typeof v.text === "string") out.push(v);
    } catch {
      // a line that is not ours
    }
  }
  return out;
}

/** The timeline beside `recordingPath`, or [] when there is none or it cannot be read. */
export async function readTimeline(recordingPath: string): Promise<TimelineEntry[]> {
  try {
    return parseTimelineVtt(await readFile(timelinePathFor(recordingPath), "utf8"));
  } catch {
    return [];
  }
}

/** `65_200` -> `00:01:05.200` (WebVTT timestamps always carry hours here). */
export function vttTime(ms: number): string {
  const t = Math.max(0, Math.round(ms));
  const h = Math.floor(t / 3_600_000);
  const m = Math.floor((t % 3_600_000) / 60_000);
  const s = Math.floor((t % 60_000) / 1000);
  return `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}.${String(t % 1000).padStart(3, "0")}`;
}

function safeJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/>/g, "\\u003e").replace(/&/g, "\\u0026");
}

/** Control characters and line breaks become spaces: a summary is one line. */
function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, " ").slice(0, 500);
}

import type { SessionStatus, SessionType } from "../protocol/index.js";

/** Words first, colour second: the status reads the same on a monochrome terminal. */
export const STATUS_STYLE: Record<SessionStatus, { label: string; color: string }> = {
  connecting: { label: "Connecting", color: "blue" },
  waiting: { label: "Waiting", color: "yellow" },
  active: { label: "Active", color: "green" },
  "on-hold": { label: "On hold", color: "magenta" },
  collaborating: { label: "Collaborating", color: "cyan" },
  closed: { label: "Closed", color: "gray" },
  "timed-out": { label: "Timed out", color: "gray" },
  declined: { label: "Declined", color: "red" },
  aborted: { label: "Aborted", color: "red" },
};

export const TYPE_LABEL: Record<SessionType, string> = { lens: "Lens", desktop: "Desktop" };

/** "45s", "3m 04s", "2h 05m": short enough for a narrow column, still exact to the second. */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, "0")}m`;
  if (m > 0) return `${m}m ${String(s).padStart(2, "0")}s`;
  return `${s}s`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function formatBitrate(kbps: number): string {
  return kbps >= 1000 ? `${(kbps / 1000).toFixed(2)} Mbit/s` : `${Math.round(kbps)} kbit/s`;
}

/** Loss as a share of what should have arrived. */
export function formatLoss(lost: number, received: number): string {
  const expected = lost + received;
  const pct = expected === 0 ? 0 : (lost / expected) * 100;
  return `${lost} (${pct.toFixed(pct > 0 && pct < 0.1 ? 2 : 1)}%)`;
}

export { clockTime } from "../cli/output.js";

/** Fits text into `width` cells, marking the cut with an ellipsis. */
export function fit(text: string, width: number): string {
  if (width <= 0) return "";
  if (text.length <= width) return text.padEnd(width);
  return width === 1 ? "…" : `${text.slice(0, width - 1)}…`;
}

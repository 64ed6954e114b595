import type { Session } from "../../../protocol/session.js";
import { TERMINAL_STATUSES } from "../../../protocol/common.js";
import { clockTime, relativeTime, type Column, type Printer } from "../../output.js";

export const SESSION_COLUMNS: Column<Session>[] = [
  { header: "id", value: (s) => s.id },
  { header: "name", value: (s) => s.name || "-" },
  { header: "type", value: (s) => s.type },
  { header: "mode", value: (s) => s.mode },
  { header: "status", value: (s) => s.status },
  { header: "pin", value: (s) => s.pin ?? "-" },
  { header: "since", value: (s) => s.statusSince, human: (s, now) => relativeTime(s.statusSince, now) },
  // Last, so scripts that cut the columns above keep their numbers.
  { header: "customer", value: (s) => customerState(s, (iso) => iso), human: (s) => customerState(s, clockTime) },
];

/** `away until TIME` (the session is aborted then unless they are back), `paused`, or `-`. */
function customerState(s: Session, time: (iso: string) => string): string {
  const away = s.customer?.away;
  if (away && !TERMINAL_STATUSES.includes(s.status)) return `AWAY, back by ${time(away.until)}`;
  return s.customer?.paused ? "paused" : "-";
}

/** The one link to hand the customer: the mobile page for Lens (a phone's camera), else the desktop one. */
export function customerLink(s: Session): string | null {
  if (!s.links) return null;
  return s.type === "lens" ? s.links.mobile : s.links.desktop;
}

/** One session: JSON, a readable block on a terminal, or `key<TAB>value` lines when piped. */
export function printSession(out: Printer, s: Session, now: number): void {
  if (out.json) return out.value(s);
  const rows: [string, string][] = [
    ["id", s.id],
    ["name", s.name || "-"],
    ["type", `${s.type} (${s.mode})`],
    ["status", out.tty ? `${s.status}, ${relativeTime(s.statusSince, now)}` : s.status],
  ];
  if (s.pin) rows.push(["pin", s.pin]);
  if (s.expiresAt) rows.push(["expires", out.tty ? relativeTime(s.expiresAt, now) : s.expiresAt]);
  const link = s.method === "link" ? customerLink(s) : null;
  if (link) rows.push(["link", link]);
  if (s.links) rows.push(["desktop", s.links.desktop], ["mobile", s.links.mobile], ["pin-entry", s.links.pinEntry]);
  if (s.customer?.paused) rows.push(["customer", "paused"]);
  const away = s.customer?.away;
  if (away) {
    const until = out.tty ? relativeTime(away.until, now) : away.until;
    rows.push(["customer", `away since ${out.tty ? relativeTime(away.since, now) : away.since}: reconnecting; the session is aborted ${out.tty ? until : `at ${until}`} unless they are back`]);
  }
  if (s.delivery) {
    const d = s.delivery;
    const why = d.status === "queued" ? " (in the server's outbox: no carrier configured)" : d.reason ? ` (${d.reason})` : "";
    rows.push([d.channel, `${d.to}: ${d.status}${why}`]);
  }
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) out.line(out.tty ? `${k.padEnd(width)}  ${v}` : `${k}\t${v}`);
}

/** What the technician is told when the server has no carrier for the channel: nothing left the server. */
export function outboxNotice(channel: "sms" | "email"): string {
  return `no ${channel === "sms" ? "SMS" : "email"} carrier configured: the message is in the outbox (the server's admin reads it with rescue-server outbox)`;
}

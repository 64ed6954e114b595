import type { DaemonEvent, Session } from "../../src/protocol/index.js";

/** One entry for a session's timeline, before it gets its time. */
export interface TimelineItem {
  sessionId: string;
  kind: string;
  text: string;
  detail?: Record<string, unknown>;
}

/** Media events that are the recording's own bookkeeping, not something that happened in it. */
const NOT_ON_TIMELINE = new Set(["recording-started", "recording-stopped", "first-frame", "media-connected"]);

/**
 * What a daemon event adds to its session's timeline: chat both ways, Lens tools (the
 * LensJournal's `media` events: annotation, freeze, unfreeze, camera), snapshots, customer
 * paused/resumed, media lost/restored, recording errors; and, from a session update compared
 * with `before`, hold/resume and collaborators joining and leaving. Only the lead's daemon
 * records, and the session log shows its lead every collaborator by name
 * (src/server/sessions/log-view.ts hides only PINs, addresses and delivery details, and those
 * from collaborators), so names appear as the session carries them. A recording path in a
 * detail is left out: the timeline travels with the recording.
 */
export function timelineItemsOf(event: DaemonEvent, before: Session | undefined): TimelineItem[] {
  if (event.type === "chat") {
    const m = event.message;
    const who = m.from === "customer" ? "customer" : m.from === "system" ? "system" : m.author;
    return [{ sessionId: m.sessionId, kind: "chat", text: `${who}: ${m.text}`, detail: { from: m.from, author: m.author, text: m.text } }];
  }
  if (event.type === "media") {
    if (NOT_ON_TIMELINE.has(event.event)) return [];
    const { path: _path, at: _at, ...detail } = event.detail ?? {};
    return [{ sessionId: event.sessionId, kind: event.event, text: describe(event.event, detail), ...(Object.keys(detail).length ? { detail } : {}) }];
  }
  if (event.type !== "session" || !before) return [];
  const s = event.session;
  const out: TimelineItem[] = [];
  if (s.status === "on-hold" && before.status !== "on-hold") out.push({ sessionId: s.id, kind: "hold", text: "put on hold" });
  if (before.status === "on-hold" && (s.status === "active" || s.status === "collaborating")) out.push({ sessionId: s.id, kind: "resume", text: "resumed from hold" });
  const was = new Set((before.collaborators ?? []).map((c) => c.technician));
  const now = new Set((s.collaborators ?? []).map((c) => c.technician));
  for (const c of s.collaborators ?? []) {
    if (!was.has(c.technician)) out.push({ sessionId: s.id, kind: "collaborator-joined", text: `${c.technician} joined${c.external ? " (external)" : ""}`, detail: { technician: c.technician, external: c.external } });
  }
  for (const c of before.collaborators ?? []) {
    if (!now.has(c.technician)) out.push({ sessionId: s.id, kind: "collaborator-left", text: `${c.technician} left`, detail: { technician: c.technician } });
  }
  return out;
}

/** A media event's fields in a line: `draw by a@x`, `zoom level=2 by a@x (not applied: no zoom)`, `reason=ice`. */
function describe(event: string, detail: Record<string, unknown>): string {
  const parts: string[] = [];
  const { action, by, applied, reason, ...rest } = detail;
  if (typeof action === "string" && action !== event) parts.push(action);
  for (const [k, v] of Object.entries(rest)) {
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") parts.push(`${k}=${v}`);
  }
  if (typeof by === "string") parts.push(`by ${by}`);
  if (applied === false) parts.push(`(not applied${typeof reason === "string" ? `: ${reason}` : ""})`);
  else if (typeof reason === "string") parts.push(reason);
  return parts.join(" ") || event;
}

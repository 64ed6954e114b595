import { Box } from "ink";
import { Text } from "./Text.js";
import { humanBytes, humanDuration, timelineLine } from "../../cli/commands/recordings/ref.js";
import { timelineSummary, type RecordingsView as View } from "../state/recordings.js";

/** The selected session's recordings: each segment's path, size, duration and timeline, scrolled to fit. */
export function RecordingsView({ view, sessionName, rows }: { view: View; sessionName: string; rows: number }) {
  const lines: Array<{ text: string; bold?: boolean; dim?: boolean }> = [];
  const segments = view.segments ?? [];
  segments.forEach((s, i) => {
    const timeline = s.manifest?.timeline ?? [];
    lines.push({ text: `Segment ${i + 1}${s.live ? " (being recorded)" : ""}: ${s.path}`, bold: true });
    lines.push({ text: `  ${humanBytes(s.bytes)} · ${humanDuration(s.durationMs)}${s.manifest && !s.manifest.complete ? " · incomplete" : ""}` });
    lines.push({ text: `  Timeline: ${s.manifest ? timelineSummary(timeline) : s.live ? "written when the recording ends" : "none"}` });
    for (const e of timeline) lines.push({ text: `    ${timelineLine(e)}`, dim: true });
  });
  // Title, status line and key line take three rows.
  const room = Math.max(1, rows - 3);
  const top = Math.min(view.scroll, Math.max(0, lines.length - room));
  let status: { text: string; color?: string } | null = null;
  if (view.error) status = { text: `Error: ${view.error}`, color: "red" };
  else if (view.segments === null) status = { text: "Loading…" };
  else if (view.deleting) status = { text: "Deleting…", color: "yellow" };
  else if (view.confirmDelete) status = { text: `Delete ${segments.length === 1 ? "this recording" : `these ${segments.length} recordings`} with manifests and timelines? y deletes, any other key keeps them`, color: "yellow" };
  else if (segments.length === 0) status = { text: "No recordings of this session (here or with --record-path)." };
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate">
        Recordings of {sessionName}
        {segments.length > 1 ? ` · ${segments.length} segments, ${humanDuration(segments.reduce((sum, s) => sum + (s.durationMs ?? 0), 0))} in all` : ""}
      </Text>
      {lines.slice(top, top + room).map((l, i) => (
        <Text key={`${top + i}`} bold={l.bold} dimColor={l.dim} wrap="truncate">
          {l.text}
        </Text>
      ))}
      {status ? (
        <Text color={status.color} bold={Boolean(status.color)} wrap="truncate">
          {status.text}
        </Text>
      ) : null}
      <Text dimColor wrap="truncate">
        o open in the player · d delete · ↑↓ scroll · Esc close
      </Text>
    </Box>
  );
}

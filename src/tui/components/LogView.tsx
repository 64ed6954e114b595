import { Box } from "ink";
import { Text } from "./Text.js";
import type { SessionLogEntry } from "../../protocol/index.js";
import { oneLine } from "../../protocol/text.js";
import { clockTime } from "../format.js";
import type { LogView as LogViewState } from "../state/ui.js";

/** `key=value` for the fields an entry carries beyond time and event; control characters as `^[`. */
export function entryDetails(entry: SessionLogEntry): string {
  return Object.entries(entry)
    .filter(([k]) => k !== "at" && k !== "event")
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .map(oneLine)
    .join(" ");
}

export function LogView({ log, title, rows }: { log: LogViewState; title: string; rows: number }) {
  const room = Math.max(1, rows - 2);
  const entries = log.entries ?? [];
  const shown = entries.slice(log.scroll, log.scroll + room);
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate">
        Session log: {title}
        {entries.length > room ? <Text dimColor>{`  ${log.scroll + 1}-${log.scroll + shown.length} of ${entries.length}`}</Text> : null}
      </Text>
      {log.error ? <Text color="red">Error: {log.error}</Text> : null}
      {log.entries === null && !log.error ? <Text dimColor>loading…</Text> : null}
      {log.entries?.length === 0 ? <Text dimColor>the log is empty</Text> : null}
      {shown.map((e, i) => (
        <Text key={`${log.scroll + i}`} wrap="truncate">
          <Text dimColor>{clockTime(e.at)} </Text>
          <Text bold>{e.event}</Text> {entryDetails(e)}
        </Text>
      ))}
      <Text dimColor>↑↓ scroll · Esc, q or l closes</Text>
    </Box>
  );
}

import { Box } from "ink";
import { Text } from "./Text.js";
import type { Session } from "../../protocol/index.js";
import { TYPE_LABEL, clockTime, fit, formatElapsed } from "../format.js";
import { TERMINAL_STATUSES } from "../../protocol/common.js";
import { StatusText } from "./StatusText.js";

export interface SessionListProps {
  sessions: Session[];
  selectedId: string | null;
  /** Newly Waiting sessions, marked NEW and highlighted. */
  fresh: string[];
  now: number;
  rows: number;
  columns: number;
}

const W = { mark: 2, type: 8, status: 14, pin: 8, since: 8, flag: 4 };

/** When a live session's customer who dropped off must be back by (it is aborted then), or null. */
function awayUntil(s: Session): string | null {
  const away = s.customer?.away;
  return away && !TERMINAL_STATUSES.includes(s.status) ? away.until : null;
}

/** The window of rows to show so the selected one stays in view. */
export function visibleWindow(count: number, selected: number, rows: number): [number, number] {
  if (count <= rows) return [0, count];
  const start = Math.min(Math.max(0, selected - Math.floor(rows / 2)), count - rows);
  return [start, start + rows];
}

export function SessionList({ sessions, selectedId, fresh, now, rows, columns }: SessionListProps) {
  const nameWidth = Math.max(8, columns - W.mark - W.type - W.status - W.pin - W.since - W.flag - 1);
  const selected = sessions.findIndex((s) => s.id === selectedId);
  const [from, to] = visibleWindow(sessions.length, Math.max(0, selected), rows);
  const more = sessions.length > rows ? ` ${from + 1}-${to} of ${sessions.length}` : "";
  return (
    <Box flexDirection="column">
      <Text bold underline wrap="truncate">
        {fit(`  ${fit("Name", nameWidth)}${fit("Type", W.type)}${fit("Status", W.status)}${fit("PIN", W.pin)}${fit("In status", W.since + W.flag)}`, columns - more.length)}
        {more}
      </Text>
      {sessions.length === 0 ? (
        <Text dimColor>No sessions yet. Press n to create one.</Text>
      ) : (
        sessions.slice(from, to).map((s) => {
          const isSelected = s.id === selectedId;
          const isFresh = fresh.includes(s.id);
          return (
            <Box key={s.id}>
              <Text inverse={isSelected} bold={isFresh} wrap="truncate">
                {isSelected ? "> " : "  "}
                {fit(s.name || s.id, nameWidth)}
                {fit(TYPE_LABEL[s.type], W.type)}
              </Text>
              <Text inverse={isSelected} bold={isFresh}>
                {/* A customer away (reconnecting within the grace period) shows in the list, not only in the detail pane. */}
                {awayUntil(s) ? (
                  <Text color="red">{fit(`AWAY ${clockTime(awayUntil(s)!)}`, W.status)}</Text>
                ) : (
                  <StatusText status={s.status} width={W.status} />
                )}
              </Text>
              <Text inverse={isSelected} bold={isFresh} wrap="truncate">
                {fit(s.pin ?? "-", W.pin)}
                {fit(formatElapsed(now - Date.parse(s.statusSince)), W.since)}
              </Text>
              {isFresh ? (
                <Text backgroundColor="yellow" color="black" bold>
                  NEW
                </Text>
              ) : null}
            </Box>
          );
        })
      )}
    </Box>
  );
}

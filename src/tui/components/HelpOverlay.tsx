import { Box } from "ink";
import { Text } from "./Text.js";
import { SHORTCUTS } from "../state/keys.js";

/** Two columns of keys need at least this many columns each. */
const COLUMN_WIDTH = 60;

/**
 * Every key with what it does. When they do not fit the height, a wide terminal shows them in
 * two columns; otherwise the list scrolls (↑↓) and says what is above and below.
 */
export function HelpOverlay({ rows, columns = 80, scroll = 0 }: { rows: number; columns?: number; scroll?: number }) {
  const room = Math.max(1, rows - 2);
  const fits = SHORTCUTS.length <= room;
  const two = !fits && columns >= 2 * COLUMN_WIDTH && Math.ceil(SHORTCUTS.length / 2) <= room;
  let groups: Array<typeof SHORTCUTS>;
  let hint: string | null = null;
  if (fits) groups = [SHORTCUTS];
  else if (two) {
    const per = Math.ceil(SHORTCUTS.length / 2);
    groups = [SHORTCUTS.slice(0, per), SHORTCUTS.slice(per)];
  } else {
    // One line goes to the hint; the scroll stops once the last key is in view.
    const shown = Math.max(1, room - 1);
    const top = Math.min(scroll, SHORTCUTS.length - shown);
    groups = [SHORTCUTS.slice(top, top + shown)];
    const below = SHORTCUTS.length - top - shown;
    hint = `${top > 0 ? `↑ ${top} above` : ""}${top > 0 && below > 0 ? " · " : ""}${below > 0 ? `↓ ${below} more` : ""}`;
  }
  return (
    <Box flexDirection="column">
      <Text bold>Keys</Text>
      <Box>
        {groups.map((group, i) => (
          <Box key={i} flexDirection="column" width={groups.length > 1 ? Math.floor(columns / 2) : columns}>
            {group.map((s) => (
              <Text key={s.key} wrap="truncate">
                <Text color="cyan" bold>
                  {s.key.padEnd(4)}
                </Text>
                {s.help}
              </Text>
            ))}
          </Box>
        ))}
      </Box>
      {hint ? <Text dimColor>{hint}</Text> : null}
      <Text dimColor>?, q or Esc closes this help</Text>
    </Box>
  );
}

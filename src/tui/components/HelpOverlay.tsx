import { Box } from "ink";
import { Text } from "./Text.js";
import { SHORTCUTS } from "../state/keys.js";

/** Two columns of keys need at least this many columns each. */
const COLUMN_WIDTH = 60;

/**
 * The keys and what they do: the main screen's, or `shortcuts` (the Lens tools' on the live
 * picture) under `title`. When they do not fit the height, a wide terminal shows them in two
 * columns; otherwise the list scrolls (↑↓) and says what is above and below.
 */
export function HelpOverlay({
  rows,
  columns = 80,
  scroll = 0,
  shortcuts = SHORTCUTS,
  title = "Keys",
}: {
  rows: number;
  columns?: number;
  scroll?: number;
  shortcuts?: ReadonlyArray<{ key: string; help: string }>;
  title?: string;
}) {
  const room = Math.max(1, rows - 2);
  const width = Math.max(4, ...shortcuts.map((s) => s.key.length + 1));
  const fits = shortcuts.length <= room;
  const two = !fits && columns >= 2 * COLUMN_WIDTH && Math.ceil(shortcuts.length / 2) <= room;
  let groups: Array<typeof shortcuts>;
  let hint: string | null = null;
  if (fits) groups = [shortcuts];
  else if (two) {
    const per = Math.ceil(shortcuts.length / 2);
    groups = [shortcuts.slice(0, per), shortcuts.slice(per)];
  } else {
    // One line goes to the hint; the scroll stops once the last key is in view.
    const shown = Math.max(1, room - 1);
    const top = Math.max(0, Math.min(scroll, shortcuts.length - shown));
    groups = [shortcuts.slice(top, top + shown)];
    const below = shortcuts.length - top - shown;
    hint = `${top > 0 ? `↑ ${top} above` : ""}${top > 0 && below > 0 ? " · " : ""}${below > 0 ? `↓ ${below} more` : ""}`;
  }
  return (
    <Box flexDirection="column">
      <Text bold>{title}</Text>
      <Box>
        {groups.map((group, i) => (
          <Box key={i} flexDirection="column" width={groups.length > 1 ? Math.floor(columns / 2) : columns}>
            {group.map((s) => (
              <Text key={s.key} wrap="truncate">
                <Text color="cyan" bold>
                  {s.key.padEnd(width)}
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

import { Box } from "ink";
import { Text } from "./Text.js";
import { SHORTCUTS } from "../state/keys.js";

/** Two columns of keys need at least this many columns each. */
const COLUMN_WIDTH = 60;

/**
 * Every key with what it does. When they do not fit the height, a wide terminal shows them in
 * two columns; a narrow one shows what fits and says how many more there are.
 */
export function HelpOverlay({ rows, columns = 80 }: { rows: number; columns?: number }) {
  const room = Math.max(1, rows - 2);
  const two = SHORTCUTS.length > room && columns >= 2 * COLUMN_WIDTH;
  const per = two ? Math.ceil(SHORTCUTS.length / 2) : SHORTCUTS.length;
  const cut = (list: typeof SHORTCUTS) => (list.length > room ? list.slice(0, room - 1) : list);
  const groups = two ? [SHORTCUTS.slice(0, per), SHORTCUTS.slice(per)].map(cut) : [cut(SHORTCUTS)];
  const shown = groups.reduce((n, g) => n + g.length, 0);
  return (
    <Box flexDirection="column">
      <Text bold>Keys</Text>
      <Box>
        {groups.map((group, i) => (
          <Box key={i} flexDirection="column" width={two ? Math.floor(columns / 2) : columns}>
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
      {shown < SHORTCUTS.length ? <Text dimColor>{`… ${SHORTCUTS.length - shown} more keys: a taller or wider terminal shows them`}</Text> : null}
      <Text dimColor>?, q or Esc closes this help</Text>
    </Box>
  );
}

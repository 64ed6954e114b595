import { Box } from "ink";
import { Text } from "./Text.js";
import { SHORTCUTS } from "../state/keys.js";

export function HelpOverlay({ rows }: { rows: number }) {
  const room = Math.max(1, rows - 2);
  return (
    <Box flexDirection="column">
      <Text bold>Keys</Text>
      {SHORTCUTS.slice(0, room).map((s) => (
        <Text key={s.key} wrap="truncate">
          <Text color="cyan" bold>
            {s.key.padEnd(4)}
          </Text>
          {s.help}
        </Text>
      ))}
      <Text dimColor>?, q or Esc closes this help</Text>
    </Box>
  );
}

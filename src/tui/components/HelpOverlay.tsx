import { Box } from "ink";
import { Text } from "./Text.js";
import { SHORTCUTS } from "../state/keys.js";

/** The keys and what they do: the main screen's, or `shortcuts` (the Lens tools' on the live picture) under `title`. */
export function HelpOverlay({ rows, shortcuts = SHORTCUTS, title = "Keys" }: { rows: number; shortcuts?: ReadonlyArray<{ key: string; help: string }>; title?: string }) {
  const room = Math.max(1, rows - 2);
  const width = Math.max(4, ...shortcuts.map((s) => s.key.length + 1));
  return (
    <Box flexDirection="column">
      <Text bold>{title}</Text>
      {shortcuts.slice(0, room).map((s) => (
        <Text key={s.key} wrap="truncate">
          <Text color="cyan" bold>
            {s.key.padEnd(width)}
          </Text>
          {s.help}
        </Text>
      ))}
      <Text dimColor>?, q or Esc closes this help</Text>
    </Box>
  );
}

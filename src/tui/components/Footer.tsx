import { Box } from "ink";
import { Text } from "./Text.js";

/** Shortcut hints, key in bold so the letter stands out from the word. */
export function Footer({ lines }: { lines: string[] }) {
  return (
    <Box flexDirection="column">
      {lines.map((line) => (
        <Text key={line} wrap="truncate">
          {line.split("  ").map((item, i) => {
            const [key, ...label] = item.split(" ");
            return (
              <Text key={item}>
                {i > 0 ? "  " : ""}
                <Text bold color="cyan">
                  {key}
                </Text>{" "}
                {label.join(" ")}
              </Text>
            );
          })}
        </Text>
      ))}
    </Box>
  );
}

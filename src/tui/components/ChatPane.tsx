import { Box } from "ink";
import { Text } from "./Text.js";
import type { ChatMessage } from "../../protocol/index.js";
import { clockTime } from "../format.js";

export interface ChatPaneProps {
  messages: ChatMessage[];
  /** The line being typed, or null when the input is closed. */
  draft: string | null;
  rows: number;
}

const FROM_COLOR = { technician: "cyan", customer: "yellow", system: "gray" } as const;

export function ChatPane({ messages, draft, rows }: ChatPaneProps) {
  const room = Math.max(0, rows - 1 - (draft === null ? 0 : 1));
  const shown = room === 0 ? [] : messages.slice(-room);
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate">
        Chat{messages.length > shown.length ? ` (${messages.length - shown.length} earlier)` : ""}
        {draft === null ? <Text dimColor>  c to write</Text> : null}
      </Text>
      {messages.length === 0 && draft === null && rows > 1 ? <Text dimColor>no messages yet</Text> : null}
      {shown.map((m, i) => (
        <Text key={`${m.at}-${i}`} wrap="truncate">
          <Text dimColor>{clockTime(m.at)} </Text>
          <Text color={FROM_COLOR[m.from]}>{m.author}: </Text>
          {m.text}
        </Text>
      ))}
      {draft === null ? null : (
        <Text wrap="truncate-start">
          <Text color="cyan">{"> "}</Text>
          {draft}
          <Text inverse> </Text>
          <Text dimColor>  Enter send · Esc cancel</Text>
        </Text>
      )}
    </Box>
  );
}

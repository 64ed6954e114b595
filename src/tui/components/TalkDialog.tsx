import { Box } from "ink";
import { Text } from "./Text.js";
import { FieldRow, TextValue } from "./Form.js";
import type { TalkDialog as Dialog } from "../state/talk.js";

/** Your voice to the customer: a file played once, the live microphone, mute. */
export function TalkDialog({ talk, sessionName, mic, muted }: { talk: Dialog; sessionName: string; mic: boolean; muted: boolean }) {
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate">
        Talk to the customer of {sessionName}
      </Text>
      <FieldRow focused={talk.focus === "file"} label="Audio file" width={12}>
        <TextValue value={talk.file} cursor={talk.focus === "file"} truncate />
      </FieldRow>
      <FieldRow focused={talk.focus === "mic"} label="Microphone" width={12}>
        <Text>{` ${mic ? "on" : "off"}`}</Text>
        <Text dimColor>{"  (your default input, live; use a headset)"}</Text>
      </FieldRow>
      <FieldRow focused={talk.focus === "mute"} label="Sending" width={12}>
        <Text>{` ${muted ? "muted" : "unmuted"}`}</Text>
      </FieldRow>
      {talk.error ? <Text color="red">Error: {talk.error}</Text> : null}
      {talk.sending ? <Text color="yellow">Sending the file…</Text> : null}
      {talk.played && !talk.sending ? <Text color="green" wrap="truncate">Playing {talk.played}</Text> : null}
      <Text dimColor wrap="truncate">
        Enter plays the file once (Ogg/Opus, WAV, MP3, FLAC …) or switches · Tab next · Esc close
      </Text>
    </Box>
  );
}

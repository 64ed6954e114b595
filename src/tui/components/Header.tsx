import { Box } from "ink";
import { Text } from "./Text.js";
import type { DaemonState } from "../state/daemon.js";

const BACKEND_TEXT: Record<string, { text: string; color: string }> = {
  connected: { text: "server connected", color: "green" },
  connecting: { text: "server connecting", color: "yellow" },
  reconnecting: { text: "server reconnecting", color: "yellow" },
  "logged-out": { text: "not logged in (rescue login)", color: "red" },
  "signed-in-elsewhere": { text: "signed in elsewhere (rescue login to take over)", color: "red" },
};

export function Header({ daemon, voice = null }: { daemon: DaemonState; voice?: string | null }) {
  const backend = daemon.backend ? BACKEND_TEXT[daemon.backend] : null;
  return (
    <Box>
      <Text bold wrap="truncate">
        Rescue console
      </Text>
      <Text wrap="truncate">{daemon.technician ? `  ${daemon.technician}` : ""}</Text>
      <Box flexGrow={1} />
      {voice ? <Text color="magenta">{`${voice}  `}</Text> : null}
      {daemon.reachable === null ? <Text dimColor>reaching the daemon…</Text> : null}
      {daemon.reachable && backend ? <Text color={backend.color}>{backend.text}</Text> : null}
    </Box>
  );
}

export function Banner({ error }: { error: string | null }) {
  return (
    <Text backgroundColor="red" color="white" bold wrap="truncate">
      {` daemon not reachable — retrying${error ? ` (${error})` : ""} `}
    </Text>
  );
}

import { Box } from "ink";
import { Text } from "./Text.js";
import { clockTime, formatBitrate, formatBytes, formatLoss } from "../format.js";
import type { SessionMedia } from "../state/media.js";

/**
 * Live media figures of the active session; the app refreshes them every second. `away`: the
 * customer's connection dropped and the session ends at `until` unless they come back.
 */
export function MediaStats({ media, away }: { media: SessionMedia | undefined; away?: { until: string } | null }) {
  const stats = media?.stats ?? null;
  const v = stats?.video;
  const a = stats?.audio;
  const size = v?.width && v?.height ? `${v.width}x${v.height}` : "no video yet";
  const recording = stats?.recording ?? (media?.recording ? { path: media.recording, bytes: null } : null);
  return (
    <Box flexDirection="column">
      {away ? (
        <Text color="yellow" bold wrap="truncate">
          {/* The deadline first: a narrow pane cuts the end of the line. */}
          {`Customer AWAY until ${clockTime(away.until)}: reconnecting; the session ends then unless they are back`}
        </Text>
      ) : stats?.paused === "customer" ? (
        <Text color="yellow" bold wrap="truncate">
          Paused by the customer: no picture or sound until they resume
        </Text>
      ) : stats?.connection?.state === "lost" ? (
        <Text color="red" bold wrap="truncate">
          Media LOST: nothing arrives from the customer
        </Text>
      ) : null}
      {v ? (
        <>
          <Text wrap="truncate">
            <Text bold>Video </Text>
            {`${v.codec ?? "-"}  ${size}  ${v.fps.toFixed(1)} fps  ${formatBitrate(v.bitrateKbps)}`}
          </Text>
          <Text wrap="truncate">
            <Text bold>Loss  </Text>
            {`video ${v.packetsLost} lost, ${v.packetsRecovered} recovered · audio ${formatLoss(a?.packetsLost ?? 0, a?.packets ?? 0)}`}
          </Text>
          <Text wrap="truncate">
            <Text bold>Audio </Text>
            {`${a?.codec ?? "-"}  `}
            {a?.muted ? (
              <Text color="red" bold>
                talk MUTED
              </Text>
            ) : (
              <Text color="green">talk on</Text>
            )}
          </Text>
        </>
      ) : (
        <Text dimColor>{media?.error ? "" : "waiting for media stats…"}</Text>
      )}
      {stats?.recording?.error ? (
        <Text color="red" bold wrap="truncate">
          Recording STOPPED: {stats.recording.error} (the file keeps what it has)
        </Text>
      ) : null}
      <Text wrap="truncate">
        <Text bold>Rec   </Text>
        {recording ? `${recording.path}${recording.bytes === null ? "" : `  ${formatBytes(recording.bytes)}`}` : "not recording"}
      </Text>
      {media?.screenStopped ? (
        <Text color="yellow" wrap="truncate">
          Screen: the customer stopped sharing (chat still works)
        </Text>
      ) : null}
      {media?.error ? (
        <Text color="red" wrap="truncate">
          stats: {media.error}
        </Text>
      ) : null}
    </Box>
  );
}

import { Box } from "ink";
import { Text } from "./Text.js";
import { FieldRow, TextValue } from "./Form.js";
import type { TransferState } from "../state/transfer.js";

export function TransferDialog({ transfer, sessionName }: { transfer: TransferState; sessionName: string }) {
  if (transfer.phase === "done" && transfer.result) {
    return (
      <Box flexDirection="column">
        <Text bold color="green" wrap="truncate">
          Transferred {sessionName} to {transfer.result.technician}
        </Text>
        <Text dimColor>Enter/Esc close</Text>
      </Box>
    );
  }
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate">
        Transfer {sessionName} to another technician
      </Text>
      <FieldRow focused label="Email" width={12}>
        <TextValue value={transfer.to} cursor truncate />
      </FieldRow>
      {transfer.error ? (
        <Text color="red">
          Error: {transfer.error}
        </Text>
      ) : null}
      {transfer.phase === "sending" ? <Text color="yellow">Transferring…</Text> : null}
      <Text dimColor wrap="truncate">
        An online technician of your organisation · Enter transfer · Esc cancel
      </Text>
    </Box>
  );
}

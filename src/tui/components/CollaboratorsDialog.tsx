import { Box } from "ink";
import { Text } from "./Text.js";
import { COLLABORATOR_PERMISSIONS, type Collaborator } from "../../protocol/index.js";
import { chosenCollaborator, type CollaboratorsDialog as Dialog } from "../state/collaborators.js";

/** The lead's view of the collaborators: one line each, the chosen one's permissions to tick. */
export function CollaboratorsDialog({ dialog, sessionName, collaborators }: { dialog: Dialog; sessionName: string; collaborators: Collaborator[] }) {
  const chosen = chosenCollaborator(dialog, collaborators);
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate">
        Collaborators of {sessionName}
      </Text>
      {collaborators.length === 0 ? <Text>Nobody else is in this session now.</Text> : null}
      {collaborators.map((c) => {
        const here = c.id === chosen?.id;
        const permissions = here && dialog.draft ? dialog.draft : c.permissions;
        return (
          <Box key={c.id} flexDirection="column">
            <Text color={here ? "cyan" : undefined} bold={here} wrap="truncate">
              {`${here ? "> " : "  "}${c.technician} (${c.external ? "external" : "internal"})${here && dialog.draft ? " · changed, Enter saves" : ""}`}
            </Text>
            {here ? (
              // Ticks read as [x] and the cursor as › (and underlined), so neither depends on colour.
              <Text wrap="truncate">
                {"   "}
                {COLLABORATOR_PERMISSIONS.map((p, i) => (
                  <Text key={p} underline={dialog.cursor === i}>
                    {` ${dialog.cursor === i ? "›" : " "}[${permissions.includes(p) ? "x" : " "}] ${p}`}
                  </Text>
                ))}
              </Text>
            ) : (
              <Text dimColor wrap="truncate">{`     ${c.permissions.join(", ") || "no permissions"}`}</Text>
            )}
          </Box>
        );
      })}
      {dialog.confirmRemove && chosen ? (
        <Text color="yellow" bold wrap="truncate">
          Remove {chosen.technician} from {sessionName}? y removes, any other key keeps them
        </Text>
      ) : null}
      {dialog.error ? <Text color="red">Error: {dialog.error}</Text> : null}
      {dialog.busy ? <Text color="yellow">Saving…</Text> : null}
      <Text dimColor wrap="truncate">
        ↑↓ who · ←→ permission · Space on/off · Enter save · x remove · Esc close
      </Text>
    </Box>
  );
}

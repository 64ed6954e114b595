import type { ReactNode } from "react";
import { Box } from "ink";
import { Text } from "./Text.js";
import { Choice, FieldRow, TextValue } from "./Form.js";
import { COLLABORATOR_PERMISSIONS } from "../../protocol/index.js";
import { INVITATION_KINDS, INVITATION_VIAS, inviteFields, inviteNeedsTo, type InviteField, type InviteState } from "../state/invite.js";

const KIND_LABEL = { internal: "Internal", external: "External" } as const;
const VIA_LABEL = { pin: "PIN", email: "Email", link: "Link" } as const;

export function InviteDialog({ invite, sessionName }: { invite: InviteState; sessionName: string }) {
  if (invite.phase === "sent" && invite.result) return <Sent invite={invite} />;
  const fields = inviteFields(invite);
  const row = (field: InviteField, label: string, value: ReactNode) => (
    <FieldRow key={field} focused={invite.focus === field} label={label} width={12}>
      {value}
    </FieldRow>
  );
  const choice = <T extends string>(values: readonly T[], current: T, label: (v: T) => string) => <Choice values={values} current={current} label={label} />;
  const text = (value: string, field: InviteField) => <TextValue value={value} cursor={invite.focus === field} truncate />;
  // Ticks read as [x] and the cursor as › (and underlined), so neither depends on colour.
  const permissions = (
    <Text>
      {COLLABORATOR_PERMISSIONS.map((p, i) => {
        const here = invite.focus === "permissions" && invite.permissionAt === i;
        return (
          <Text key={p} underline={here}>
            {` ${here ? "›" : " "}[${invite.permissions.includes(p) ? "x" : " "}] ${p}`}
          </Text>
        );
      })}
    </Text>
  );
  const toLabel = inviteNeedsTo(invite) ? "Email" : "For (opt.)";
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate">
        Invite a technician to {sessionName}
      </Text>
      {row("kind", "Technician", choice(INVITATION_KINDS, invite.kind, (k) => KIND_LABEL[k]))}
      {fields.includes("via") ? row("via", "Send by", choice(INVITATION_VIAS, invite.via, (v) => VIA_LABEL[v])) : null}
      {row("to", toLabel, text(invite.to, "to"))}
      {row("permissions", "Permissions", permissions)}
      {row("comment", "Comment", text(invite.comment, "comment"))}
      {invite.error ? (
        <Text color="red">
          Error: {invite.error}
        </Text>
      ) : null}
      {invite.phase === "sending" ? <Text color="yellow">Inviting…</Text> : null}
      <Text dimColor wrap="truncate">
        Tab/↑↓ field · ←→ choose · Space tick · Enter invite · Esc cancel
      </Text>
    </Box>
  );
}

function Sent({ invite }: { invite: InviteState }) {
  const { invitation, pin, link } = invite.result!;
  const who = invitation.to ?? "an external technician";
  return (
    <Box flexDirection="column">
      <Text bold color="green" wrap="truncate">
        Invited {who} ({invitation.kind}) to {invitation.sessionName || invitation.sessionId}
      </Text>
      <Text wrap="truncate">Permissions  {invitation.permissions.join(", ") || "none"}</Text>
      {invitation.comment ? <Text wrap="truncate">Comment      {invitation.comment}</Text> : null}
      {pin ? (
        <Text>
          PIN          <Text bold color="cyan">{pin}</Text>
          <Text dimColor>  rescue join --pin {pin}</Text>
        </Text>
      ) : null}
      {link ? <Text wrap="truncate">Link         {link}</Text> : null}
      {invitation.kind === "internal" || invitation.via === "email" ? (
        <Text wrap="truncate">Sent to      {invitation.to}</Text>
      ) : null}
      <Text dimColor wrap="truncate">
        Valid until {new Date(invitation.expiresAt).toTimeString().slice(0, 5)} · Enter/Esc close
      </Text>
    </Box>
  );
}

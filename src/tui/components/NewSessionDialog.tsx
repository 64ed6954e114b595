import type { ReactNode } from "react";
import { Box } from "ink";
import { Text } from "./Text.js";
import { Choice, FieldRow, TextValue } from "./Form.js";
import { TYPE_LABEL } from "../format.js";
import { METHODS, SESSION_TYPES, dialogFields, type DialogField, type DialogState } from "../state/dialog.js";
import { DeliveryLine } from "./DetailPane.js";

const METHOD_LABEL = { pin: "PIN", sms: "SMS", email: "Email", link: "Link" } as const;

export function NewSessionDialog({ dialog }: { dialog: DialogState }) {
  if (dialog.phase === "created" && dialog.session) return <Created dialog={dialog} />;
  const fields = dialogFields(dialog);
  const row = (field: DialogField, label: string, value: ReactNode) => (
    <FieldRow key={field} focused={dialog.focus === field} label={label} width={10}>
      {value}
    </FieldRow>
  );
  const choice = <T extends string>(values: readonly T[], current: T, label: (v: T) => string) => <Choice values={values} current={current} label={label} />;
  const text = (value: string, field: DialogField) => <TextValue value={value} cursor={dialog.focus === field} />;
  return (
    <Box flexDirection="column">
      <Text bold>New session</Text>
      {row("type", "Type", choice(SESSION_TYPES, dialog.type, (t) => TYPE_LABEL[t]))}
      {row("name", "Name", text(dialog.name, "name"))}
      {row("method", "Method", choice(METHODS, dialog.method, (m) => METHOD_LABEL[m]))}
      {fields.includes("to") ? row("to", dialog.method === "sms" ? "Phone" : "Email", text(dialog.to, "to")) : null}
      {dialog.error ? <Text color="red">Error: {dialog.error}</Text> : null}
      {dialog.phase === "creating" ? <Text color="yellow">Creating…</Text> : null}
      <Text dimColor wrap="truncate">
        Tab/↑↓ field · ←→ choose · Enter create · Esc cancel
      </Text>
    </Box>
  );
}

function Created({ dialog }: { dialog: DialogState }) {
  const s = dialog.session!;
  return (
    <Box flexDirection="column">
      <Text bold>
        Session created: {s.name || s.id} ({TYPE_LABEL[s.type]})
      </Text>
      <Text>
        PIN <Text bold color="cyan">{s.pin ?? "-"}</Text>
        {s.expiresAt ? <Text dimColor>  valid until {new Date(s.expiresAt).toTimeString().slice(0, 5)}</Text> : null}
      </Text>
      {s.links ? (
        <>
          <Text wrap="truncate">Desktop link  {s.links.desktop}</Text>
          <Text wrap="truncate">Mobile link   {s.links.mobile}</Text>
          <Text wrap="truncate">PIN entry     {s.links.pinEntry}</Text>
        </>
      ) : null}
      <Text wrap="truncate">Session ID    {s.id}</Text>
      {dialog.replacedPin ? <Text color="yellow" wrap="truncate">New PIN: the old PIN {dialog.replacedPin} no longer works</Text> : null}
      {s.delivery ? <DeliveryLine delivery={s.delivery} /> : null}
      {dialog.error ? <Text color="red">Error: {dialog.error}</Text> : null}
      <Text dimColor wrap="truncate">
        a create another PIN (this one stops working) · Enter/Esc close
      </Text>
    </Box>
  );
}

import { Text } from "./Text.js";
import type { Collaborator } from "../../protocol/index.js";

/** Who else is in the session, one line each: internal or external, and what they may do. */
export function Collaborators({ collaborators, rows }: { collaborators: Collaborator[]; rows: number }) {
  if (collaborators.length === 0 || rows < 1) return null;
  const fits = collaborators.length <= rows ? collaborators : collaborators.slice(0, Math.max(0, rows - 1));
  const more = collaborators.length - fits.length;
  return (
    <>
      {fits.map((c) => (
        <Text key={c.id} wrap="truncate">
          <Text bold>With  </Text>
          {`${c.technician} (${c.external ? "external" : "internal"}: ${c.permissions.join(", ") || "no permissions"})`}
        </Text>
      ))}
      {more > 0 ? <Text dimColor>{`      +${more} more collaborator${more === 1 ? "" : "s"}`}</Text> : null}
    </>
  );
}

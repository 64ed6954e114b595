import { Box } from "ink";
import { Text } from "./Text.js";
import type { ChatMessage, Session } from "../../protocol/index.js";
import { STATUS_STYLE } from "../format.js";
import type { SessionMedia } from "../state/media.js";
import { hasMedia, isEnded } from "../state/sessions.js";
import type { LivePictureState } from "../hooks/useLivePicture.js";
import { markCells, type CellMark } from "../lens-overlay.js";
import { ChatPane } from "./ChatPane.js";
import { Collaborators } from "./Collaborators.js";
import { MediaStats } from "./MediaStats.js";

export interface DetailPaneProps {
  session: Session | null;
  media: SessionMedia | undefined;
  chat: ChatMessage[];
  chatDraft: string | null;
  rows: number;
  wide: boolean;
  /** The live picture and the cells it takes at the left, with marks drawn over it (the Lens cursor); null for none. */
  picture?: (LivePictureState & { cols: number; marks?: CellMark[] }) | null;
}

const STATS_ROWS = 5;

export function DetailPane(props: DetailPaneProps) {
  const { session, picture } = props;
  if (!picture || !session || !hasMedia(session.status)) return <DetailBody {...props} />;
  return (
    <Box>
      <Box width={picture.cols} flexShrink={0} marginRight={1} flexDirection="column">
        <LivePicture picture={picture} />
      </Box>
      <Box flexGrow={1} flexDirection="column">
        <DetailBody {...props} />
      </Box>
    </Box>
  );
}

/** Half-block lines, or why there are none yet. */
function LivePicture({ picture }: { picture: LivePictureState & { marks?: CellMark[] } }) {
  if (picture.lines) {
    const lines = picture.marks?.length ? markCells(picture.lines, picture.marks) : picture.lines;
    return <>{lines.map((line, i) => <Text key={i} wrap="truncate">{line}</Text>)}</>;
  }
  return <Text dimColor wrap="wrap">{picture.error ? `No picture: ${picture.error}` : "Waiting for the picture…"}</Text>;
}

function DetailBody({ session, media, chat, chatDraft, rows, wide }: DetailPaneProps) {
  if (!session) return <Text dimColor>Select a session, or press n to create one.</Text>;
  if (session.status === "connecting") return <Invitation session={session} />;
  const chatPane = (chatRows: number) => <ChatPane messages={chat} draft={chatDraft} rows={chatRows} />;
  if (hasMedia(session.status)) {
    const collaborators = session.collaborators ?? [];
    if (wide) {
      return (
        <Box>
          <Box width="50%" flexDirection="column" marginRight={1}>
            <MediaStats media={media} away={session.customer?.away} />
            <Collaborators collaborators={collaborators} rows={rows - STATS_ROWS} />
          </Box>
          <Box flexGrow={1} flexDirection="column">
            {chatPane(rows)}
          </Box>
        </Box>
      );
    }
    // Collaborators take at most half of what is left under the stats; chat keeps the rest.
    const withRows = Math.min(collaborators.length, Math.floor((rows - STATS_ROWS) / 2));
    const chatRows = rows - STATS_ROWS - withRows;
    return (
      <Box flexDirection="column">
        <MediaStats media={media} away={session.customer?.away} />
        <Collaborators collaborators={collaborators} rows={withRows} />
        {chatRows > 0 ? chatPane(chatRows) : null}
      </Box>
    );
  }
  const note = isEnded(session.status)
    ? `Session ended: ${STATUS_STYLE[session.status].label}. l shows its log${session.status === "timed-out" && !session.customer ? ", p gives it a new PIN" : ""}.`
    : `Customer ready${customerFacts(session)}. Press s to start.`;
  // The recording outlives the session: its path stays where the technician last saw it.
  const recording = isEnded(session.status) ? (media?.recording ?? null) : null;
  const used = recording ? 2 : 1;
  return (
    <Box flexDirection="column">
      <Text wrap="truncate">{note}</Text>
      {recording ? <Text wrap="truncate">Recording  {recording}  (R shows, plays or deletes it)</Text> : null}
      {rows > used ? chatPane(rows - used) : null}
    </Box>
  );
}

function customerFacts(session: Session): string {
  const c = session.customer;
  if (!c) return "";
  const facts = [c.camera ? "camera on" : "no camera", c.microphone ? "microphone on" : "no microphone"];
  if (c.eulaAcceptedAt) facts.push("EULA accepted");
  if (c.paused) facts.push("customer paused");
  if (c.away) facts.push("customer away, reconnecting");
  return ` (${facts.join(", ")})`;
}

/** What to tell the customer while the session waits for them. */
function Invitation({ session }: { session: Session }) {
  return (
    <Box flexDirection="column">
      <Text wrap="truncate">
        PIN <Text bold>{session.pin ?? "-"}</Text>
        <Text dimColor> — waiting for the customer to join (p: new PIN)</Text>
      </Text>
      {session.links ? (
        <>
          <Text wrap="truncate">Desktop link  {session.links.desktop}</Text>
          <Text wrap="truncate">Mobile link   {session.links.mobile}</Text>
          <Text wrap="truncate">PIN entry     {session.links.pinEntry}</Text>
        </>
      ) : null}
      {session.delivery ? <DeliveryLine delivery={session.delivery} /> : null}
    </Box>
  );
}

export function DeliveryLine({ delivery }: { delivery: NonNullable<Session["delivery"]> }) {
  const what = delivery.channel === "sms" ? "SMS" : "Email";
  switch (delivery.status) {
    case "queued":
      return (
        <Text color="yellow" wrap="truncate">
          No {delivery.channel === "sms" ? "SMS" : "email"} carrier configured: the {what === "SMS" ? "SMS" : "email"} to {delivery.to} is in the outbox
        </Text>
      );
    case "sent":
    case "delivered":
      return (
        <Text color="green" wrap="truncate">
          {what} {delivery.status} to {delivery.to}
        </Text>
      );
    default:
      return (
        <Text color="red" wrap="truncate">
          {what} to {delivery.to} failed{delivery.reason ? `: ${delivery.reason}` : ""}
        </Text>
      );
  }
}

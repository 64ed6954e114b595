import { Box } from "ink";
import { Text } from "./Text.js";
import type { Session } from "../../protocol/index.js";
import { STATUS_STYLE, TYPE_LABEL, formatElapsed } from "../format.js";
import { MIN_COLUMNS, MIN_ROWS, layout, tooSmall } from "../layout.js";
import type { ConsoleState } from "../state/console.js";
import { orderedSessions, selectedSession } from "../state/sessions.js";
import type { LivePictureState } from "../hooks/useLivePicture.js";
import { DetailPane } from "./DetailPane.js";
import { Footer } from "./Footer.js";
import { Banner, Header } from "./Header.js";
import { voiceSession } from "../state/voice.js";
import { HelpOverlay } from "./HelpOverlay.js";
import { pictureBox } from "../lens-geometry.js";
import { lensFooter, lensMarks, videoSize } from "../lens-view.js";
import { LENS_SHORTCUTS } from "../state/lens-keys.js";
import { InviteDialog } from "./InviteDialog.js";
import { LogView } from "./LogView.js";
import { NewSessionDialog } from "./NewSessionDialog.js";
import { SessionList } from "./SessionList.js";
import { TransferDialog } from "./TransferDialog.js";
import { CollaboratorsDialog } from "./CollaboratorsDialog.js";
import { RecordingsView } from "./RecordingsView.js";
import { TalkDialog } from "./TalkDialog.js";

export interface ScreenProps {
  state: ConsoleState;
  columns: number;
  rows: number;
  /** The selected session's live picture, when the app follows one. */
  picture?: LivePictureState;
}

/** The whole console for one state and terminal size; holds no state of its own. */
export function Screen({ state, columns, rows, picture }: ScreenProps) {
  if (tooSmall(columns, rows)) return <TooSmall columns={columns} rows={rows} />;
  const sessions = orderedSessions(state.sessions);
  const selected = selectedSession(state.sessions);
  const banner = state.daemon.reachable === false;
  const l = layout(columns, rows, sessions.length, banner);
  const { ui } = state;
  let body;
  const lens = state.lens.focus;
  if (ui.view === "help") {
    body = lens ? (
      <HelpOverlay rows={l.overlayRows} columns={l.columns} scroll={ui.helpScroll} shortcuts={LENS_SHORTCUTS} title="Lens tools on the live picture" />
    ) : (
      <HelpOverlay rows={l.overlayRows} columns={l.columns} scroll={ui.helpScroll} />
    );
  } else if (ui.view === "new") body = <NewSessionDialog dialog={state.dialog} />;
  else if (ui.view === "invite" && state.invite) body = <InviteDialog invite={state.invite} sessionName={nameOf(state, state.invite.sessionId)} />;
  else if (ui.view === "transfer" && state.transfer) {
    body = <TransferDialog transfer={state.transfer} sessionName={nameOf(state, state.transfer.sessionId)} />;
  }
  else if (ui.view === "collaborators" && state.collaborators) {
    const id = state.collaborators.sessionId;
    body = <CollaboratorsDialog dialog={state.collaborators} sessionName={nameOf(state, id)} collaborators={state.sessions.byId[id]?.collaborators ?? []} />;
  } else if (ui.view === "talk" && state.talk) {
    const id = state.talk.sessionId;
    body = <TalkDialog talk={state.talk} sessionName={nameOf(state, id)} mic={state.voice.mic} muted={state.media[id]?.stats?.audio.muted ?? false} />;
  } else if (ui.view === "recordings" && state.recordings) {
    body = <RecordingsView view={state.recordings} sessionName={nameOf(state, state.recordings.sessionId)} rows={l.overlayRows} />;
  }
  else if (ui.view === "log" && ui.log) {
    const s = state.sessions.byId[ui.log.sessionId];
    body = <LogView log={ui.log} title={s?.name || ui.log.sessionId} rows={l.overlayRows} />;
  } else {
    body = (
      <>
        <SessionList
          sessions={sessions}
          selectedId={state.sessions.selectedId}
          fresh={state.sessions.fresh}
          now={state.now}
          rows={l.listRows}
          columns={l.columns}
        />
        <Text bold color="gray" wrap="truncate">
          {heading(selected ? `${selected.name || selected.id} · ${TYPE_LABEL[selected.type]} · ${STATUS_STYLE[selected.status].label} ${formatElapsed(state.now - Date.parse(selected.statusSince))}${ledBy(selected, state.daemon.technician)}${selected.name ? ` · ${selected.id}` : ""}` : "no session selected", l.columns)}
        </Text>
        <Box height={l.detailRows} flexDirection="column" overflow="hidden">
          <DetailPane
            session={selected}
            media={selected ? state.media[selected.id] : undefined}
            chat={selected ? (state.chat[selected.id] ?? []) : []}
            chatDraft={ui.chatDraft}
            rows={l.detailRows}
            wide={l.picture && picture ? l.columns - l.picture.cols - 1 >= WIDE_BESIDE_PICTURE : l.wide}
            picture={l.picture && picture ? { ...picture, cols: l.picture.cols, marks: lensMarks(state, pictureBox(l, banner, videoSize(state, selected))) } : null}
          />
        </Box>
      </>
    );
  }
  return (
    <Box flexDirection="column" width={l.columns}>
      <Header daemon={state.daemon} voice={voiceLabel(state, columns)} />
      {banner ? <Banner error={state.daemon.error} /> : null}
      {ui.view === "main" ? (
        body
      ) : (
        <Box height={l.overlayRows} flexDirection="column" overflow="hidden">
          {body}
        </Box>
      )}
      <NoticeLine state={state} />
      <Footer lines={lens ? lensFooter(state, l.columns, l.footer.length) : l.footer} />
    </Box>
  );
}

/** Short lines, so they fit even a tiny terminal; the keys keep working (q leaves). */
function TooSmall({ columns, rows }: { columns: number; rows: number }) {
  return (
    <Box flexDirection="column" width={columns}>
      <Text bold>terminal too small</Text>
      <Text>{`${columns}x${rows}, needs ${MIN_COLUMNS}x${MIN_ROWS}`}</Text>
    </Box>
  );
}

/** Columns beside the picture that still fit figures and chat side by side. */
const WIDE_BESIDE_PICTURE = 70;

/** Names the lead when it is someone else: after a transfer, or in a session I joined. */
function ledBy(session: Session, me: string | null): string {
  return me && session.technician !== me ? ` · led by ${session.technician}` : "";
}

function nameOf(state: ConsoleState, id: string): string {
  return state.sessions.byId[id]?.name || id;
}

function heading(text: string, columns: number): string {
  const head = `── ${text} `;
  return head.length >= columns ? head : head + "─".repeat(columns - head.length);
}

function NoticeLine({ state }: { state: ConsoleState }) {
  const { confirmEnd, notice } = state.ui;
  if (confirmEnd !== null) {
    const s = state.sessions.byId[confirmEnd];
    return (
      <Text color="yellow" bold wrap="truncate">
        End session {s?.name || confirmEnd}? y ends it, any other key keeps it
      </Text>
    );
  }
  // Over the help, the log or a dialog the list is hidden: say who is waiting, and how to get there.
  const waiting = state.ui.view === "main" ? undefined : state.sessions.fresh.map((id) => state.sessions.byId[id]).find(Boolean);
  if (waiting) {
    return (
      <Text color="yellow" bold wrap="truncate">
        {`New: ${waiting.name || waiting.id} is Waiting${state.ui.view === "help" || state.ui.view === "log" ? " · Esc returns to the list" : ""}`}
      </Text>
    );
  }
  if (!notice) return <Text> </Text>;
  return (
    <Text color={notice.kind === "error" ? "red" : "green"} wrap="truncate">
      {notice.kind === "error" ? `Error: ${notice.text}` : notice.text}
    </Text>
  );
}

/**
 * "speaker on · mic off" while a Lens session's sound is carried, nothing otherwise. Under 80
 * columns the header has no room: only a microphone that is on is shown ("mic on").
 */
function voiceLabel(state: ConsoleState, columns: number): string | null {
  if (voiceSession(state.sessions) === null) return null;
  if (columns < 80) return state.voice.mic ? "mic on" : null;
  return `speaker ${state.voice.speaker ? "on" : "off"} · mic ${state.voice.mic ? "on" : "off"}`;
}

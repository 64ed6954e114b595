import { useApp, useInput, useStdout } from "ink";
import { useEffect, useReducer, useRef } from "react";
import type { ConsoleClient } from "./client.js";
import { Screen } from "./components/Screen.js";
import { runEffect } from "./effects.js";
import { describeError } from "./errors.js";
import type { InputErrors } from "./input-guard.js";
import { useLivePicture } from "./hooks/useLivePicture.js";
import { useMouseReporting } from "./hooks/useMouseReporting.js";
import { pictureBox } from "./lens-geometry.js";
import { videoSize } from "./lens-view.js";
import { lensMouse } from "./state/lens-keys.js";
import { useStatsPoll } from "./hooks/useStatsPoll.js";
import { useTerminalSize } from "./hooks/useTerminalSize.js";
import { useVoice } from "./hooks/useVoice.js";
import { consoleReducer, initialConsoleState } from "./state/console.js";
import { interpretKey, splitChunk } from "./state/keys.js";
import { layout } from "./layout.js";
import { hasMedia, orderedSessions, selectedSession } from "./state/sessions.js";
import { voiceSession } from "./state/voice.js";
import { followDaemon } from "./stream.js";

export interface ConsoleTimings {
  /** Pause before reaching a vanished daemon again. */
  retryMs: number;
  /** Media stats refresh. */
  statsMs: number;
  /** Clock for the "time in status" column. */
  tickMs: number;
}

export const DEFAULT_TIMINGS: ConsoleTimings = { retryMs: 2000, statsMs: 1000, tickMs: 1000 };

/**
 * `env`: where the clipboard and browser tools are looked up (the process's own by default).
 * `inputErrors`: errors caught while keys were read (see guardStdin), shown on the notice line.
 */
export function App({
  client,
  timings = DEFAULT_TIMINGS,
  env = process.env,
  inputErrors,
}: {
  client: ConsoleClient;
  timings?: ConsoleTimings;
  env?: Record<string, string | undefined>;
  inputErrors?: InputErrors;
}) {
  const [state, dispatch] = useReducer(consoleReducer, Date.now(), initialConsoleState);
  const stateRef = useRef(state);
  stateRef.current = state;
  const { exit } = useApp();
  const { write } = useStdout();
  const { columns, rows } = useTerminalSize();

  useEffect(() => {
    const abort = new AbortController();
    void followDaemon(client, dispatch, abort.signal, {
      retryMs: timings.retryMs,
      lastEventId: () => stateRef.current.sessions.lastEventId,
    });
    return () => abort.abort();
  }, [client, timings.retryMs]);

  useEffect(() => {
    const timer = setInterval(() => dispatch({ type: "tick", now: Date.now() }), timings.tickMs);
    return () => clearInterval(timer);
  }, [timings.tickMs]);

  // The terminal bell, once per newly Waiting session.
  const bells = useRef(state.sessions.bells);
  useEffect(() => {
    if (state.sessions.bells > bells.current) write("\x07");
    bells.current = state.sessions.bells;
  }, [state.sessions.bells, write]);

  // A gap in event ids means something was missed: fetch the whole list again.
  useEffect(() => {
    if (!state.sessions.gap) return;
    client.listSessions().then(
      (sessions) => dispatch({ type: "sessions/resync", sessions }),
      (err: unknown) => dispatch({ type: "notice", kind: "error", text: `refreshing the list failed: ${describeError(err)}` }),
    );
  }, [client, state.sessions.gap]);

  const selected = selectedSession(state.sessions);
  const watched = selected && hasMedia(selected.status) && state.daemon.reachable ? selected.id : null;
  useStatsPoll(client, watched, timings.statsMs, dispatch);
  // The live picture only where it is seen: the main screen, an active session, room for it.
  const l = layout(columns, rows, orderedSessions(state.sessions).length, state.daemon.reachable === false);
  const area = l.picture;
  const picture = useLivePicture(client, watched && selected?.status !== "on-hold" && state.ui.view === "main" ? watched : null, area);
  // Mouse clicks place the Lens cursor while the live picture has the keys, and only then.
  const box = pictureBox(l, state.daemon.reachable === false, videoSize(state, selected));
  const boxRef = useRef(box);
  boxRef.current = box;
  useMouseReporting(state.lens.focus !== null && state.ui.view === "main");

  // The customer's voice plays by default for the running Lens session; the microphone waits for its key.
  const voiced = state.daemon.reachable ? voiceSession(state.sessions) : null;
  useVoice(client, voiced, "speaker", state.voice.speaker, dispatch);
  useVoice(client, voiced, "mic", state.voice.mic, dispatch);

  useEffect(() => {
    if (!inputErrors) return;
    const show = (err: unknown) => dispatch({ type: "notice", kind: "error", text: `a key could not be handled: ${describeError(err)}` });
    inputErrors.on("failed", show);
    return () => {
      inputErrors.off("failed", show);
    };
  }, [inputErrors]);

  useInput((input, key) => {
    // Keys can arrive faster than React renders (typing, pasting): each is read against the
    // state the keys before it produced, not the last rendered one.
    let next = stateRef.current;
    for (const [text, press] of splitChunk(input, key)) {
      const result = lensMouse(next, text, boxRef.current) ?? interpretKey(next, text, press);
      for (const action of result.actions) {
        next = consoleReducer(next, action);
        dispatch(action);
      }
      for (const effect of result.effects) {
        if (effect.type === "quit") exit();
        else void runEffect(client, effect, dispatch, env);
      }
    }
    stateRef.current = next;
  });

  return <Screen state={state} columns={columns} rows={rows} picture={picture} />;
}

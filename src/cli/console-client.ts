import type { CollaboratorPermission } from "../protocol/collaborator.js";
import { RescueError } from "../protocol/errors.js";
import type { ConsoleClient, VoiceHandle, VoiceKind } from "../tui/client.js";
import type { DaemonClient } from "./daemon/client.js";
import { DaemonUnavailable } from "./errors.js";

/**
 * The console's view of the daemon: the local API client, with "daemon gone" as RescueError
 * `unavailable`; its sound goes through ffmpeg and the default PulseAudio devices of `env`, and
 * what ffmpeg prints goes to `log` (the profile's, HomePaths.log).
 */
export function consoleClient(d: DaemonClient, env: Record<string, string | undefined>, log: string): ConsoleClient {
  const wrap =
    <A extends unknown[], R>(f: (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      try {
        return await f(...a);
      } catch (e) {
        if (e instanceof DaemonUnavailable) throw new RescueError("unavailable", e.message);
        throw e;
      }
    };
  const openEvents = wrap((since: number) => d.events(since));
  return {
    status: wrap(d.status),
    listSessions: wrap(() => d.listSessions()),
    createSession: wrap(d.createSession),
    regeneratePin: wrap((id: string) => d.sessionAction(id, "pin")),
    start: wrap((id: string, opts = {}) => d.startSession(id, opts)),
    hold: wrap((id: string) => d.sessionAction(id, "hold")),
    resume: wrap((id: string) => d.sessionAction(id, "resume")),
    end: wrap((id: string) => d.sessionAction(id, "end")),
    log: wrap(d.sessionLog),
    stats: wrap(d.sessionStats),
    videoStream: wrap((id: string) => d.videoStream(id)),
    chat: wrap(d.chat),
    mute: wrap(async (id: string) => void (await d.setMuted(id, true))),
    unmute: wrap(async (id: string) => void (await d.setMuted(id, false))),
    invite: wrap(d.invite),
    join: wrap(d.join),
    transfer: wrap(d.transfer),
    lens: wrap(d.lens),
    setCollaborator: wrap((id: string, collaborator: string, permissions: CollaboratorPermission[]) => d.setCollaborator(id, collaborator, { permissions })),
    removeCollaborator: wrap(d.removeCollaborator),
    talkFile: wrap(async (id: string, file: string) => {
      const { playAudioFile } = await import("./talk-file.js");
      return playAudioFile(env, d, id, file, log, file);
    }),
    showRecordings: wrap(d.showRecordings),
    deleteRecordings: wrap(async (ref: string) => (await d.deleteRecordings(ref)).deleted),
    voice: (id, kind) => voice(env, log, d, id, kind),
    async *events(since, signal) {
      const stream = await openEvents(since);
      const stop = () => stream.close();
      signal.addEventListener("abort", stop, { once: true });
      try {
        yield* stream.events;
      } finally {
        signal.removeEventListener("abort", stop);
        stream.close();
      }
    },
  };
}

/** Starts one direction of sound; `done` says why it failed, or null when it was stopped or the session ended. */
function voice(env: Record<string, string | undefined>, log: string, d: DaemonClient, id: string, kind: VoiceKind): VoiceHandle {
  let run: { stop(): void } | null = null;
  let stopped = false;
  const done = (async () => {
    try {
      const { startListening, startMicrophone } = await import("./voice.js");
      const started = kind === "speaker" ? await startListening(env, d, id, {}, log) : await startMicrophone(env, d, id, undefined, log);
      run = started;
      if (stopped) started.stop();
      await (started.done as Promise<unknown>);
      return null;
    } catch (e) {
      if (stopped) return null;
      // The console's notice is one row: what is wrong and the key that tries again (ffmpeg's lines are in the log).
      const { SoundUnavailable } = await import("./sound-failure.js");
      if (e instanceof SoundUnavailable && e.kind === "no-server") return `no PulseAudio server: start one, then press ${kind === "speaker" ? "a" : "M"} to retry`;
      return (e as Error).message;
    }
  })();
  return {
    stop() {
      stopped = true;
      run?.stop();
    },
    done,
  };
}

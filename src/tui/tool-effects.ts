import { RescueError } from "../protocol/index.js";
import type { ConsoleClient } from "./client.js";
import { describeError, isUnavailable } from "./errors.js";
import type { ConsoleAction } from "./state/actions.js";
import type { ToolEffect } from "./state/tool-keys.js";

type Dispatch = (action: ConsoleAction) => void;

/**
 * Carries out what the collaborators, talk and recordings tools ask for, reporting the outcome as
 * actions (in the tool's own view and on the notice line). Never throws.
 */
export async function runToolEffect(client: ConsoleClient, effect: ToolEffect, dispatch: Dispatch, env: Record<string, string | undefined>): Promise<void> {
  try {
    switch (effect.type) {
      case "set-collaborator": {
        const session = await client.setCollaborator(effect.id, effect.collaborator, effect.permissions);
        dispatch({ type: "session/updated", session });
        dispatch({ type: "collaborators/done" });
        dispatch({ type: "notice", kind: "info", text: `${effect.name} may now: ${effect.permissions.join(", ") || "nothing"}` });
        return;
      }
      case "remove-collaborator": {
        const session = await client.removeCollaborator(effect.id, effect.collaborator);
        dispatch({ type: "session/updated", session });
        dispatch({ type: "collaborators/done" });
        dispatch({ type: "notice", kind: "info", text: `removed ${effect.name} from ${session.name || session.id} (now ${session.status})` });
        // Nobody left to manage: back to the list.
        if ((session.collaborators ?? []).length === 0) dispatch({ type: "view/close" });
        return;
      }
      case "talk-file": {
        const path = await client.talkFile(effect.id, effect.file);
        dispatch({ type: "talk/played", id: effect.id, path });
        dispatch({ type: "notice", kind: "info", text: `playing ${path} to the customer` });
        return;
      }
      case "show-recordings": {
        const segments = await client.showRecordings(effect.id).catch((e: unknown) => {
          if (e instanceof RescueError && e.code === "not_found") return [];
          throw e;
        });
        dispatch({ type: "recordings/loaded", id: effect.id, segments });
        return;
      }
      case "play-recordings": {
        const [{ desktopPlayer, playFileInWindow }, { homePaths, rescueHome }] = await Promise.all([import("../cli/view/window.js"), import("../profile/home.js")]);
        const player = desktopPlayer(env as NodeJS.ProcessEnv, "open", "the files are WebM any video player opens");
        const tool = player.split("/").pop();
        dispatch({ type: "notice", kind: "info", text: `playing ${effect.paths.length === 1 ? effect.paths[0] : `${effect.paths.length} segments`} with ${tool}…` });
        for (const path of effect.paths) {
          const r = await playFileInWindow(env as NodeJS.ProcessEnv, path, `Rescue recording: ${effect.id}`, new AbortController().signal, homePaths(rescueHome(env)).log);
          if (r.code !== 0) throw new Error(`${tool} could not play ${path}: ${r.failure ?? `exit ${r.code}`}`);
        }
        dispatch({ type: "notice", kind: "info", text: `played ${effect.paths.length === 1 ? effect.paths[0] : `${effect.paths.length} segments`} with ${tool}` });
        return;
      }
      case "delete-recordings": {
        const paths = await client.deleteRecordings(effect.id);
        dispatch({ type: "recordings/deleted", id: effect.id, paths });
        dispatch({ type: "notice", kind: "info", text: `deleted ${paths.length} file${paths.length === 1 ? "" : "s"}: ${paths.join(", ")}` });
        return;
      }
    }
  } catch (err) {
    const text = describeError(err);
    if (effect.type === "set-collaborator" || effect.type === "remove-collaborator") dispatch({ type: "collaborators/failed", error: text });
    else if (effect.type === "talk-file") dispatch({ type: "talk/failed", error: text });
    else if (effect.type === "show-recordings" || effect.type === "delete-recordings") dispatch({ type: "recordings/failed", id: effect.id, error: text });
    const verb = { "set-collaborator": "permissions", "remove-collaborator": "remove", "talk-file": "talk", "show-recordings": "recordings", "play-recordings": "open", "delete-recordings": "delete" }[effect.type];
    dispatch({ type: "notice", kind: "error", text: `${verb} failed: ${text}` });
    if (isUnavailable(err)) dispatch({ type: "daemon/down", error: text });
  }
}

import type { ConsoleClient } from "./client.js";
import { describeError, isUnavailable } from "./errors.js";
import type { ConsoleAction } from "./state/actions.js";
import type { Effect } from "./state/keys.js";
import { isToolEffect } from "./state/tool-keys.js";
import { runToolEffect } from "./tool-effects.js";

type Dispatch = (action: ConsoleAction) => void;

/**
 * Carries out one effect against the daemon and reports the outcome as actions. Never throws:
 * every failure becomes an error shown where the person asked for the thing.
 */
export async function runEffect(
  client: ConsoleClient,
  effect: Exclude<Effect, { type: "quit" }>,
  dispatch: Dispatch,
  env: Record<string, string | undefined> = process.env,
): Promise<void> {
  if (isToolEffect(effect)) return runToolEffect(client, effect, dispatch, env);
  try {
    switch (effect.type) {
      case "copy-link":
      case "open-link": {
        const { findClipboard, findOpener, noClipboard, noOpener } = await import("../cli/clipboard.js");
        if (effect.type === "copy-link") {
          const clipboard = findClipboard(env);
          if (!clipboard) throw new Error(noClipboard(env).replace(/^--copy: /, "copy: "));
          await clipboard.copy(effect.link);
          dispatch({ type: "notice", kind: "info", text: `link copied (${clipboard.tool}): ${effect.link}` });
        } else {
          const opener = findOpener(env);
          if (!opener) throw new Error(noOpener(env).replace(/^--open: /, "open: "));
          await opener.open(effect.link);
          dispatch({ type: "notice", kind: "info", text: `link opened with ${opener.tool}: ${effect.link}` });
        }
        return;
      }
      case "create":
        dispatch({ type: "dialog/created", session: await client.createSession(effect.request) });
        return;
      case "regenerate":
        dispatch({ type: "dialog/created", session: await client.regeneratePin(effect.id) });
        return;
      case "new-pin": {
        const session = await client.regeneratePin(effect.id);
        dispatch({ type: "session/updated", session });
        const old = effect.oldPin ? `; the old PIN ${effect.oldPin} no longer works` : "";
        dispatch({ type: "notice", kind: "info", text: `new PIN ${session.pin ?? "-"} for ${session.name || session.id}${old}` });
        return;
      }
      case "start": {
        const response = await client.start(effect.id, { record: true });
        dispatch({ type: "session/started", response });
        dispatch({ type: "notice", kind: "info", text: response.recording ? `started, recording to ${response.recording}` : "started" });
        return;
      }
      case "hold":
      case "resume":
      case "end": {
        const session = await client[effect.type](effect.id);
        dispatch({ type: "session/updated", session });
        dispatch({ type: "notice", kind: "info", text: `${session.name || session.id}: ${session.status}` });
        return;
      }
      case "log":
        dispatch({ type: "log/loaded", id: effect.id, entries: await client.log(effect.id) });
        return;
      case "chat":
        dispatch({ type: "chat/sent", message: await client.chat(effect.id, effect.text) });
        return;
      case "mute":
        await (effect.mute ? client.mute(effect.id) : client.unmute(effect.id));
        dispatch({ type: "audio/muted", id: effect.id, muted: effect.mute });
        return;
      case "invite":
        dispatch({ type: "invite/sent", response: await client.invite(effect.id, effect.request) });
        return;
      case "join": {
        const response = await client.join(effect.pin);
        dispatch({ type: "invitation/joined", response });
        const inv = response.invitation;
        dispatch({ type: "notice", kind: "info", text: `joined ${response.session.name || response.session.id} of ${inv.from} as ${response.as}: ${inv.permissions.join(", ")}` });
        return;
      }
      case "lens": {
        const result = await client.lens(effect.id, effect.action);
        if (effect.action.action === "freeze" || effect.action.action === "unfreeze") {
          dispatch({ type: "lens/frozen", id: effect.id, frozen: effect.action.action === "freeze" });
        }
        if (result.applied === false) {
          dispatch({ type: "notice", kind: "error", text: `the customer's camera did not do it: ${result.reason ?? "refused"}` });
          return;
        }
        const via = result.delivery === "relayed" ? " (through the lead technician's connection)" : "";
        const still = result.snapshot ? `; your still: ${result.snapshot.path}` : "";
        dispatch({ type: "notice", kind: "info", text: `${effect.done}${via}${still}` });
        return;
      }
      case "transfer": {
        const session = await client.transfer(effect.id, effect.to);
        dispatch({ type: "session/updated", session });
        dispatch({ type: "transfer/done", session });
        return;
      }
    }
  } catch (err) {
    const text = describeError(err);
    if (effect.type === "create" || effect.type === "regenerate") dispatch({ type: "dialog/failed", error: text });
    else if (effect.type === "invite") dispatch({ type: "invite/failed", error: text });
    else if (effect.type === "transfer") dispatch({ type: "transfer/failed", error: text });
    else if (effect.type === "log") dispatch({ type: "log/failed", id: effect.id, error: text });
    else dispatch({ type: "notice", kind: "error", text: `${effect.type} failed: ${text}` });
    if (isUnavailable(err)) dispatch({ type: "daemon/down", error: text });
  }
}

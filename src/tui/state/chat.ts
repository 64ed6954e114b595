import type { ChatMessage } from "../../protocol/index.js";
import type { ConsoleAction } from "./actions.js";

/** Chat history per session id, oldest first. */
export type ChatState = Record<string, ChatMessage[]>;

/** Enough to scroll back through a long session without growing for ever. */
export const CHAT_HISTORY_LIMIT = 200;

export function chatReducer(state: ChatState, action: ConsoleAction): ChatState {
  switch (action.type) {
    case "event":
      return action.event.type === "chat" ? add(state, action.event.message) : state;
    case "chat/sent":
      return add(state, action.message);
    default:
      return state;
  }
}

/** The sent message comes back as an event too: keep one copy. */
function add(state: ChatState, message: ChatMessage): ChatState {
  const held = state[message.sessionId] ?? [];
  const same = (m: ChatMessage) => m.at === message.at && m.from === message.from && m.text === message.text;
  if (held.some(same)) return state;
  const list = [...held, message].sort((a, b) => a.at.localeCompare(b.at)).slice(-CHAT_HISTORY_LIMIT);
  return { ...state, [message.sessionId]: list };
}

import type { BackendState } from "../../protocol/index.js";
import type { ConsoleAction } from "./actions.js";

export interface DaemonState {
  /** null until the daemon has answered or failed once. */
  reachable: boolean | null;
  error: string | null;
  technician: string | null;
  server: string | null;
  backend: BackendState | null;
  backendError: string | null;
}

export const initialDaemon: DaemonState = {
  reachable: null,
  error: null,
  technician: null,
  server: null,
  backend: null,
  backendError: null,
};

export function daemonReducer(state: DaemonState, action: ConsoleAction): DaemonState {
  switch (action.type) {
    case "daemon/up": {
      const { status } = action;
      return {
        reachable: true,
        error: null,
        technician: status.technician,
        server: status.server,
        backend: status.backend.state,
        backendError: status.backend.lastError ?? null,
      };
    }
    case "daemon/down":
      return { ...state, reachable: false, error: action.error };
    case "event": {
      // An event arriving proves the daemon is there, whatever a failed request concluded.
      const seen = { ...state, reachable: true, error: null };
      if (action.event.type !== "backend") return seen;
      return { ...seen, backend: action.event.state, backendError: action.event.error ?? null };
    }
    default:
      return state;
  }
}

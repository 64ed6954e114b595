import { TERMINAL_STATUSES, type Recording, type SessionStats, type Signal } from "../../src/protocol/index.js";
import type { Backend } from "../backend/client.js";
import type { EventLog } from "../events.js";
import type { Logger } from "../log.js";

/**
 * Where each session's media lives. The customer's offer arrives here as a signal; this is the
 * place that will create the session's werift peer and recorder. Until then it answers with
 * what it has: no recording, zero counters.
 */
export class SessionManager {
  private readonly unsubscribe: () => void;

  constructor(
    private readonly backend: Backend,
    events: EventLog,
    private readonly log: Logger,
    readonly recordingsDir: string,
  ) {
    backend.on("signal", (sessionId, signal) => this.onSignal(sessionId, signal));
    // However a session ends (here, by the customer, on the server), its media goes with it.
    this.unsubscribe = events.subscribe((e) => {
      if (e.type === "session" && TERMINAL_STATUSES.includes(e.session.status)) this.ended(e.session.id);
    });
  }

  private onSignal(sessionId: string, signal: Signal): void {
    this.log.info(`signal ${signal.kind} for session ${sessionId}: no media peer yet, ignored`);
  }

  /** Called once the server has made the session active. Returns the recording path, if any. */
  async started(_sessionId: string, _opts: { record: boolean; recordPath?: string }): Promise<string | undefined> {
    return undefined;
  }

  /** Called when a session reaches a terminal status. */
  ended(_sessionId: string): void {}

  stats(_sessionId: string): SessionStats {
    return {
      video: { codec: null, width: null, height: null, frames: 0, fps: 0, bitrateKbps: 0, packetsLost: 0, packetsRecovered: 0 },
      audio: { codec: null, packets: 0, packetsLost: 0, sentPackets: 0, muted: false },
    };
  }

  recordings(): Recording[] {
    return [];
  }

  close(): void {
    this.unsubscribe();
    this.backend.removeAllListeners("signal");
  }
}

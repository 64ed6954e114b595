import type { Recording, SessionStats, Signal } from "../../src/protocol/index.js";
import type { Backend } from "../backend/client.js";
import type { Logger } from "../log.js";

/**
 * Where each session's media lives. The customer's offer arrives here as a signal; this is the
 * place that will create the session's werift peer and recorder. Until then it answers with
 * what it has: no recording, zero counters.
 */
export class SessionManager {
  constructor(
    private readonly backend: Backend,
    private readonly log: Logger,
    readonly recordingsDir: string,
  ) {
    backend.on("signal", (sessionId, signal) => this.onSignal(sessionId, signal));
  }

  private onSignal(sessionId: string, signal: Signal): void {
    this.log.info(`signal ${signal.kind} for session ${sessionId}: no media peer yet, ignored`);
  }

  /** Called once the server has made the session active. Returns the recording path, if any. */
  async started(_sessionId: string, _opts: { record: boolean; recordPath?: string }): Promise<string | undefined> {
    return undefined;
  }

  /** Called when a session ends or leaves this daemon. */
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
    this.backend.removeAllListeners("signal");
  }
}

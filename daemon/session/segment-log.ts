/**
 * The order of a session's recording segments in its log: `recording-stopped` of a segment
 * before `recording-started` of the next, however long finalising the earlier one takes (a peer
 * closing after its connection failed, while the customer's new offer is already answered) or
 * however late it is found (a segment a killed daemon left, finalised by the start-up sweep while
 * the adopted connection records the next one).
 *
 * Each session's entries are written one after another in the order they were queued; an entry
 * waits for its own `ready` too, and every entry waits for what `holdUntil` was given.
 */
export class SegmentLog {
  private gate: Promise<unknown> = Promise.resolve();
  private releaseGate: () => void = () => undefined;
  private readonly released: Promise<void>;
  private readonly chains = new Map<string, Promise<void>>();

  constructor(private readonly onError: (e: Error) => void = () => undefined) {
    this.released = new Promise((r) => (this.releaseGate = r));
  }

  /**
   * Entries queued from now on also wait for `p` to settle (the start-up sweep and its reports of
   * killed segments), or for release().
   */
  holdUntil(p: Promise<unknown>): void {
    const before = this.gate;
    this.gate = Promise.race([Promise.allSettled([before, p]), this.released]);
  }

  /** Nothing waits for holdUntil's promises any more (the daemon is stopping). */
  release(): void {
    this.releaseGate();
  }

  /**
   * Queues `write(value)` for `sessionId`: it runs once `ready` has resolved with `value`, after
   * every entry queued for the session before it and after the gate. When `ready` rejects the
   * entry is skipped (the rejection is the caller's to handle). Resolves once the entry is done.
   */
  queue<T>(sessionId: string, ready: Promise<T>, write: (value: T) => void): Promise<void> {
    const before = this.chains.get(sessionId) ?? Promise.resolve();
    const gate = this.gate;
    const entry = Promise.all([before, gate])
      .then(() => ready)
      .then(
        (value) => {
          try {
            write(value);
          } catch (e) {
            this.onError(e as Error);
          }
        },
        () => undefined,
      );
    this.chains.set(sessionId, entry);
    void entry.then(() => {
      if (this.chains.get(sessionId) === entry) this.chains.delete(sessionId);
    });
    return entry;
  }
}

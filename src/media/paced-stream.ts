/**
 * Sends a list of media items in real time, each at the wall-clock moment its RTP timestamp
 * stands for. The RTP clock keeps running while paused, so a resumed stream continues with a
 * timestamp gap rather than a jump back. Used for the customer's clip and the technician's voice.
 */
export interface PacedStreamOptions<T> {
  items: T[];
  clockRate: number;
  /** Duration of an item in RTP clock ticks. */
  ticksOf(item: T, index: number): number;
  /** Called when an item is due; `ticks` is its offset on the RTP clock since the start. */
  send(item: T, ticks: number, index: number): void;
  loop: boolean;
  /** Stop after this many RTP clock ticks of stream time (including paused time); none = play once/forever. */
  limitTicks?: number;
  onEnd?(): void;
}

export class PacedStream<T> {
  private index = 0;
  private ticks = 0;
  private originMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private state: "idle" | "running" | "paused" | "ended" = "idle";

  constructor(private readonly opts: PacedStreamOptions<T>) {
    if (opts.items.length === 0) throw new Error("nothing to stream");
  }

  get running(): boolean {
    return this.state === "running";
  }

  get ended(): boolean {
    return this.state === "ended";
  }

  /** Index of the item that will be sent next. */
  get nextIndex(): number {
    return this.index;
  }

  start(): void {
    if (this.state !== "idle") return;
    this.originMs = performance.now();
    this.state = "running";
    this.tick();
  }

  pause(): void {
    if (this.state !== "running") return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.state = "paused";
  }

  /** Continues from `nextIndex` (the caller may move it first with `seek`), after the pause's gap. */
  resume(): void {
    if (this.state !== "paused") return;
    this.ticks = Math.max(this.ticks, Math.round(((performance.now() - this.originMs) * this.opts.clockRate) / 1000));
    this.state = "running";
    this.tick();
  }

  /** Moves the next item to send; timing is unchanged. */
  seek(index: number): void {
    this.index = ((index % this.opts.items.length) + this.opts.items.length) % this.opts.items.length;
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.state !== "ended") {
      this.state = "ended";
      this.opts.onEnd?.();
    }
  }

  private dueMs(): number {
    return this.originMs + (this.ticks * 1000) / this.opts.clockRate;
  }

  private tick = (): void => {
    this.timer = undefined;
    if (this.state !== "running") return;
    const { items, limitTicks } = this.opts;
    // Send everything already due (a late timer catches up instead of drifting).
    while (this.dueMs() <= performance.now() + 1) {
      if (limitTicks !== undefined && this.ticks >= limitTicks) return this.stop();
      const item = items[this.index]!;
      this.opts.send(item, this.ticks, this.index);
      if (this.state !== "running") return;
      this.ticks += this.opts.ticksOf(item, this.index);
      this.index++;
      if (this.index >= items.length) {
        if (!this.opts.loop) return this.stop();
        this.index = 0;
      }
    }
    this.timer = setTimeout(this.tick, Math.max(0, this.dueMs() - performance.now()));
  };
}

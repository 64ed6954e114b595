import type { DaemonEvent } from "../src/protocol/index.js";

type Body<E> = E extends DaemonEvent ? Omit<E, "id" | "at"> : never;
export type NewEvent = Body<DaemonEvent>;
type Listener = (e: DaemonEvent) => void;

/**
 * The daemon's event log: gap-free ids from 1, the last `capacity` kept in memory so a client
 * reconnecting with `since=N` gets what it missed before the live tail.
 */
export class EventLog {
  private ring: DaemonEvent[] = [];
  private nextId = 1;
  private listeners = new Set<Listener>();

  constructor(private readonly capacity = 1024) {}

  get lastId(): number {
    return this.nextId - 1;
  }

  emit(body: NewEvent): DaemonEvent {
    const event = { ...body, id: this.nextId++, at: new Date().toISOString() } as DaemonEvent;
    this.ring.push(event);
    if (this.ring.length > this.capacity) this.ring.shift();
    for (const l of this.listeners) l(event);
    return event;
  }

  since(id: number): DaemonEvent[] {
    return this.ring.filter((e) => e.id > id);
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

import { EventEmitter } from "node:events";
import WebSocket from "ws";
import {
  RescueError,
  SIGNED_IN_ELSEWHERE,
  ServerToTechnician,
  WS_CLOSE,
  type BackendState,
  type Signal,
  type LensAction,
  type Technician,
  type TechnicianToServer,
} from "../../src/protocol/index.js";
import type { EventLog } from "../events.js";
import type { Logger } from "../log.js";
import type { SessionState } from "../session/state.js";
import { keepAlive } from "../../src/net/heartbeat.js";
import { backoffDelay } from "./backoff.js";
import { RestClient } from "./rest.js";

export interface Credentials {
  server: string;
  email: string;
  token: string;
  /** An external technician's token, scoped to this one session (held in memory only). */
  externalSession?: string;
}

interface BackendEvents {
  signal: [sessionId: string, signal: Signal];
  /** A collaborator's Lens action the server allowed, for this (the lead's) daemon to deliver. */
  /** `ref`: answer with a `lens-result` of that ref (see SessionManager). */
  lens: [sessionId: string, action: LensAction, by: string, ref: string | undefined];
  state: [state: BackendState];
}

/** How long a command issued while the first connection is being made waits for it. */
const FIRST_CONNECT_WAIT_MS = 5000;
/** A server that answers no ping for twice this long is taken as gone (a sleeping laptop, a dead link). */
const PING_EVERY_MS = 15_000;
const MAX_INBOUND_BYTES = 16 * 1024 * 1024;

/**
 * Holds the technician WebSocket: keeps the session list from its snapshots and updates, turns
 * drops into reconnects with backoff, and hands out the REST client only while connected so
 * that commands fail at once instead of hanging.
 */
export class Backend extends EventEmitter<BackendEvents> {
  state: BackendState = "logged-out";
  since = new Date().toISOString();
  lastError: string | undefined;
  technician: Technician | null = null;
  private creds: Credentials | null = null;
  private rest: RestClient | null = null;
  private ws: WebSocket | null = null;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private stopPing: () => void = () => undefined;
  private generation = 0;

  constructor(
    private readonly events: EventLog,
    private readonly sessions: SessionState,
    private readonly log: Logger,
    /** Ping interval of the heartbeat (RESCUE_HEARTBEAT_MS); a silent server is dropped after twice this. */
    private readonly heartbeatMs = PING_EVERY_MS,
  ) {
    super();
  }

  get server(): string | null {
    return this.creds?.server ?? null;
  }

  get email(): string | null {
    return this.creds?.email ?? null;
  }

  /** New credentials (login) or none (logout): drop the old connection and start over. */
  setCredentials(creds: Credentials | null): void {
    this.disconnect();
    this.rest?.close();
    // The old login's sessions are not the new one's: listeners get an empty list.
    if (this.creds) this.sessions.replace([]);
    this.technician = null;
    this.creds = creds;
    this.rest = creds ? new RestClient(creds.server, creds.token) : null;
    this.lastError = undefined;
    this.attempt = 0;
    if (creds) {
      this.setState("connecting");
      this.connect();
    } else {
      this.setState("logged-out");
    }
  }

  /** The REST client, once connected; throws what the CLI should show otherwise. */
  async ready(): Promise<RestClient> {
    if (this.state === "connecting") await this.waitConnected(FIRST_CONNECT_WAIT_MS);
    return this.restOrThrow();
  }

  send(msg: TechnicianToServer): void {
    if (this.state !== "connected" || !this.ws) throw this.notConnected();
    this.ws.send(JSON.stringify(msg));
  }

  close(): void {
    this.disconnect();
    this.rest?.close();
    this.creds = null;
    this.rest = null;
  }

  private restOrThrow(): RestClient {
    if (this.state === "connected" && this.rest) return this.rest;
    throw this.notConnected();
  }

  private notConnected(): RescueError {
    if (!this.creds) return new RescueError("unauthenticated", "not logged in: run rescue login --server URL");
    if (this.state === "logged-out") {
      // An external technician has no login to repeat: only a new invitation lets them in again.
      const next = this.creds.externalSession ? "a new invitation from the lead technician lets you join again (rescue join --pin PIN)" : `run rescue login --server ${this.creds.server}`;
      return new RescueError("unauthenticated", `${this.lastError ?? "logged out"}: ${next}`);
    }
    if (this.state === "connecting") return new RescueError("unavailable", `still connecting to ${this.creds.server}`);
    if (this.state === "signed-in-elsewhere") {
      return new RescueError("unauthenticated", `${this.lastError ?? "signed in elsewhere"}: run rescue login here to take over`, { reason: SIGNED_IN_ELSEWHERE });
    }
    return new RescueError("unavailable", `reconnecting to ${this.creds.server}${this.lastError ? ` (${this.lastError})` : ""}`);
  }

  private waitConnected(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.off("state", onState);
        resolve();
      };
      const onState = (s: BackendState) => {
        if (s !== "connecting") done();
      };
      const timer = setTimeout(done, ms);
      this.on("state", onState);
    });
  }

  private setState(state: BackendState, error?: string): void {
    if (state === this.state && error === undefined) return;
    this.state = state;
    this.since = new Date().toISOString();
    if (error !== undefined) this.lastError = error;
    this.events.emit({ type: "backend", state, ...(error ? { error } : {}) });
    this.emit("state", state);
  }

  private connect(): void {
    const creds = this.creds;
    if (!creds) return;
    const gen = ++this.generation;
    const url = new URL("/api/v1/ws", creds.server);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(url, {
      headers: { authorization: `Bearer ${creds.token}` },
      handshakeTimeout: 10_000,
      maxPayload: MAX_INBOUND_BYTES,
    });
    this.ws = ws;
    let rejected = false;
    ws.on("unexpected-response", (_req, res) => {
      rejected = res.statusCode === 401 || res.statusCode === 403;
      this.lastError = `server answered ${res.statusCode}`;
      res.resume();
      ws.terminate();
    });
    ws.on("open", () => {
      if (gen !== this.generation) return;
      this.log.info(`connected to ${creds.server}`);
      this.stopPing = keepAlive(ws, this.heartbeatMs, () => {
        this.lastError = `the server answered no ping for ${(2 * this.heartbeatMs) / 1000} s`;
        this.log.warn(`${creds.server}: ${this.lastError}; reconnecting`);
      });
    });
    ws.on("message", (data) => {
      if (gen === this.generation) this.onMessage(data.toString());
    });
    ws.on("error", (e) => {
      if (gen === this.generation) this.lastError = e.message;
    });
    ws.on("close", (code, reason) => {
      if (gen !== this.generation) return;
      this.clearPing();
      this.ws = null;
      if (rejected || code === WS_CLOSE.unauthenticated || code === WS_CLOSE.forbidden) {
        // The server's reason when it gave one (an external technician removed from the session).
        const why = reason.toString() || "the server rejected the saved login";
        this.log.warn(`server ${creds.server} rejected the token: ${why}`);
        this.setState("logged-out", why);
        return;
      }
      if (code === WS_CLOSE.replaced) {
        // Another daemon of this login connected after this one: it has the sessions now. Taking
        // them back by reconnecting would only make the two replace each other in a loop.
        const why = `signed in elsewhere: a newer connection of ${creds.email} to ${creds.server} replaced this daemon's`;
        this.log.warn(`${why}; not reconnecting (rescue login here takes over again)`);
        this.setState("signed-in-elsewhere", why);
        return;
      }
      const why = reason.toString() || this.lastError || `closed (${code})`;
      const delay = backoffDelay(this.attempt++);
      this.log.warn(`connection to ${creds.server} lost: ${why}; retrying in ${delay} ms`);
      this.setState("reconnecting", why);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        this.connect();
      }, delay);
    });
  }

  private onMessage(text: string): void {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      this.log.warn("server sent a message that is not JSON");
      return;
    }
    const parsed = ServerToTechnician.safeParse(json);
    if (!parsed.success) {
      this.log.warn(`server sent an unknown message: ${parsed.error.issues[0]?.message ?? "invalid"}`);
      return;
    }
    const msg = parsed.data;
    switch (msg.type) {
      case "hello":
        this.technician = msg.technician;
        break;
      case "sessions":
        this.sessions.replace(msg.sessions);
        this.attempt = 0;
        this.lastError = undefined;
        this.setState("connected");
        break;
      case "session":
        this.sessions.upsert(msg.session);
        break;
      case "chat":
        this.events.emit({ type: "chat", message: msg.message });
        break;
      case "invitation":
        this.events.emit({ type: "invitation", invitation: msg.invitation });
        break;
      case "signal":
        this.emit("signal", msg.sessionId, msg.signal);
        break;
      case "lens":
        this.emit("lens", msg.sessionId, msg.action, msg.by, msg.ref);
        break;
      case "customer-media":
        // A status for the technician (the customer stopped sharing), not a failure.
        this.log.info(`session ${msg.sessionId}: ${msg.event}`);
        this.events.emit({ type: "media", sessionId: msg.sessionId, event: msg.event });
        break;
      case "error":
        this.log.warn(`server error ${msg.code}: ${msg.message}`);
        break;
    }
  }

  private clearPing(): void {
    this.stopPing();
    this.stopPing = () => undefined;
  }

  private disconnect(): void {
    this.generation++;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.clearPing();
    if (this.ws) {
      this.ws.removeAllListeners("close");
      this.ws.on("error", () => {});
      this.ws.terminate();
      this.ws = null;
    }
  }
}

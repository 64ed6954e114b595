import { EventEmitter } from "node:events";
import WebSocket from "ws";
import {
  CustomerToServer,
  MAX_MESSAGE_BYTES,
  RescueError,
  ServerToCustomer,
  type ChatMessage,
  type IceServer,
  type SessionStatus,
  type Signal,
  WS_CLOSE,
  retryAfterOfClose,
} from "../protocol/index.js";

type Joined = Extract<ServerToCustomer, { type: "joined" }>;

export interface CustomerConnectionEvents {
  status: [SessionStatus];
  /** `peer` is the technician's peer name; undefined is the lead. */
  signal: [Signal, string | undefined];
  /** A technician's peer joined (offer to it) or left. */
  peer: [string, "joined" | "left"];
  chat: [ChatMessage];
  "server-error": [RescueError];
  /** The socket dropped; the connection resumes the session (attempt 1, 2, ...). */
  reconnecting: [{ attempt: number; code: number }];
  /** Back in the session after a drop. */
  reconnected: [];
  /** For good: the session ended, the customer left, or resuming failed. */
  closed: [{ code: number; reason: string }];
}

/** Close codes after which resuming is pointless: the server ended or refused this customer. */
const FINAL_CLOSES: readonly number[] = [
  1000,
  WS_CLOSE.badMessage,
  WS_CLOSE.forbidden,
  WS_CLOSE.invalidPin,
  WS_CLOSE.replaced,
  WS_CLOSE.sessionEnded,
  WS_CLOSE.tooLarge,
  WS_CLOSE.rateLimited,
];

/** How often the customer pings the server (as the page does): the server's `pong` is the last contact `awayMs` counts from. */
const PING_MS = 5_000;
/**
 * A socket the server has not been heard on this long (three pings unanswered) is given up and
 * the session resumed on a new one, as the page does: one left behind by a network switch (a NAT
 * that forgot the mapping, a phone's new address) never errors, only the silence tells.
 */
const SILENT_MS = 15_000;

/** Waits before resume attempt n (1-based): 0.25, 0.5, 1, 2, 2 ... s. */
const retryDelayMs = (attempt: number) => Math.min(2000, 250 * 2 ** (attempt - 1));

/**
 * The customer's side of the server conversation: join with a PIN, report devices, answer the
 * EULA, then relay signalling and chat. A socket that drops is resumed with the server's resume
 * credential until the server's grace period runs out. Used by the simulator; the browser page
 * speaks the same protocol from its own script.
 */
export class CustomerConnection extends EventEmitter<CustomerConnectionEvents> {
  private ws: WebSocket;
  private resume: { token: string; graceMs: number } | undefined;
  private leaving = false;
  /** When the server was last heard from (epoch ms): any message or WebSocket ping/pong on the current socket. */
  private lastHeardAt = Date.now();
  private readonly pinger: NodeJS.Timeout;

  private constructor(
    private readonly serverUrl: string,
    opened: Opened,
    readonly joined: Joined,
  ) {
    super();
    this.ws = opened.ws;
    this.resume = opened.joined.resume;
    this.attach(opened);
    // An outage leaves the socket looking open; the ping's answer marks each contact (see resume's awayMs).
    this.pinger = setInterval(() => {
      if (this.ws.readyState !== WebSocket.OPEN) return;
      // Its close event (1006) resumes on a new socket (see attach).
      if (this.resume && Date.now() - this.lastHeardAt > SILENT_MS) return void this.ws.terminate();
      send(this.ws, { type: "ping" });
    }, PING_MS);
    this.pinger.unref();
  }

  get sessionId(): string {
    return this.joined.sessionId;
  }
  get iceServers(): IceServer[] {
    return this.joined.iceServers;
  }

  /** Connects and joins; rejects with the server's close reason when the PIN is refused. */
  static async join(serverUrl: string, pin: string, name?: string, timeoutMs = 10_000): Promise<CustomerConnection> {
    const opened = await open(serverUrl, { type: "join", pin, ...(name ? { name } : {}) }, timeoutMs);
    return new CustomerConnection(serverUrl, opened, opened.joined);
  }

  private attach({ ws, takeEarly }: Opened): void {
    // What came behind `joined` is delivered once the caller had a chance to listen (the
    // constructor's caller adds its listeners after it), in order with what follows.
    this.lastHeardAt = Date.now();
    const heard = () => {
      if (this.ws === ws) this.lastHeardAt = Date.now();
    };
    ws.on("ping", heard);
    ws.on("pong", heard);
    let queue: WebSocket.RawData[] | null = takeEarly();
    ws.on("message", (data) => {
      heard();
      if (queue) queue.push(data);
      else this.onMessage(data);
    });
    setImmediate(() => {
      const held = queue ?? [];
      queue = null;
      for (const data of held) this.onMessage(data);
    });
    ws.on("close", (code, reason) => {
      if (this.ws !== ws) return;
      if (this.leaving || !this.resume || FINAL_CLOSES.includes(code)) {
        clearInterval(this.pinger);
        this.emit("closed", { code, reason: reason.toString() });
      } else void this.reconnect(code);
    });
  }

  /**
   * Resumes the session on a new socket, retrying until the grace period is over. The `awayMs` it
   * reports counts from the last contact with the server: a socket that died in an outage is
   * noticed only when the network is back, which would make a minute away look like a moment.
   */
  private async reconnect(code: number): Promise<void> {
    const droppedAt = this.lastHeardAt;
    const giveUpAt = Date.now() + (this.resume?.graceMs ?? 0);
    let last = { code, reason: "connection lost" };
    for (let attempt = 1; !this.leaving && Date.now() < giveUpAt; attempt++) {
      this.emit("reconnecting", { attempt, code });
      await new Promise((r) => setTimeout(r, retryDelayMs(attempt)));
      try {
        const opened = await open(this.serverUrl, { type: "resume", sessionId: this.sessionId, token: this.resume!.token, awayMs: Date.now() - droppedAt }, 5_000);
        if (this.leaving) {
          opened.ws.close(1000, "customer left");
          break;
        }
        this.ws = opened.ws;
        this.resume = opened.joined.resume;
        this.attach(opened);
        this.emit("reconnected");
        return;
      } catch (e) {
        const err = e as RescueError;
        // The server's own close code when it gave one (sessionEnded: the session is over, and why).
        const closeCode = typeof err.details?.closeCode === "number" ? err.details.closeCode : undefined;
        last = { code: closeCode ?? (err.code === "not_found" ? WS_CLOSE.invalidPin : code), reason: err.message };
        // Refused (ended, or the credential is spent): no point in trying again.
        if (err.code === "not_found") break;
        // Too many reconnects for the session: the server says when to try again, within the grace period.
        const retryAfterSeconds = err.code === "rate_limited" ? Number(err.details?.retryAfterSeconds) : NaN;
        if (retryAfterSeconds > 0) await new Promise((r) => setTimeout(r, Math.max(0, Math.min(retryAfterSeconds * 1000, giveUpAt - Date.now()))));
      }
    }
    clearInterval(this.pinger);
    this.emit("closed", last);
  }

  grantDevices(camera = true, microphone = true): void {
    send(this.ws, { type: "devices", camera, microphone });
  }
  answerEula(accepted: boolean): void {
    send(this.ws, { type: "eula", accepted });
  }
  sendSignal(signal: Signal, peer?: string): void {
    send(this.ws, { type: "signal", signal, ...(peer ? { peer } : {}) });
  }
  chat(text: string): void {
    send(this.ws, { type: "chat", text });
  }
  setMedia(state: "paused" | "resumed"): void {
    send(this.ws, { type: "media", state });
  }

  /** Waits for one of the given statuses; rejects when the connection closes first. */
  waitForStatus(wanted: readonly SessionStatus[], timeoutMs: number): Promise<SessionStatus> {
    return new Promise((resolve, reject) => {
      const onStatus = (s: SessionStatus) => {
        if (!wanted.includes(s)) return;
        done();
        resolve(s);
      };
      const onClosed = ({ reason }: { reason: string }) => {
        done();
        reject(new RescueError("unavailable", `connection closed before ${wanted.join("/")}: ${reason}`));
      };
      const timer = setTimeout(() => {
        done();
        reject(new RescueError("timeout", `session did not become ${wanted.join("/")} within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.off("status", onStatus);
        this.off("closed", onClosed);
      };
      this.on("status", onStatus);
      this.on("closed", onClosed);
    });
  }

  leave(): void {
    this.leaving = true;
    clearInterval(this.pinger);
    if (this.ws.readyState === WebSocket.OPEN) send(this.ws, { type: "leave" });
    this.ws.close(1000, "customer left");
  }

  private onMessage(data: WebSocket.RawData): void {
    const msg = ServerToCustomer.safeParse(parseJson(data));
    if (!msg.success) return;
    const m = msg.data;
    switch (m.type) {
      case "status":
        this.emit("status", m.status);
        break;
      case "signal":
        this.emit("signal", m.signal, m.peer);
        break;
      case "peer":
        this.emit("peer", m.peer, m.event);
        break;
      case "chat":
        this.emit("chat", m.message);
        break;
      case "error":
        this.emit("server-error", new RescueError("bad_request", m.message));
        break;
      case "joined":
        break;
    }
  }
}

interface Opened {
  ws: WebSocket;
  joined: Joined;
  /** Stops buffering and returns what came after `joined`. */
  takeEarly(): WebSocket.RawData[];
}

/** Opens a customer socket and sends `first` (join or resume); resolves on `joined`. */
function open(serverUrl: string, first: CustomerToServer, timeoutMs: number): Promise<Opened> {
  const url = new URL("/api/v1/customer/ws", serverUrl);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(url, { maxPayload: MAX_MESSAGE_BYTES });
  return new Promise<Opened>((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new RescueError("timeout", `no answer from ${serverUrl} within ${timeoutMs} ms`));
    }, timeoutMs);
    const fail = (err: RescueError) => {
      clearTimeout(timer);
      reject(err);
    };
    ws.once("error", (err) => fail(new RescueError("unavailable", `cannot reach ${serverUrl}: ${err.message}`)));
    ws.once("close", (code, reason) => {
      const text = reason.toString();
      // A refusal that names a time to come back (too many resumes) is not final.
      const retryAfterSeconds = retryAfterOfClose(code, text);
      if (retryAfterSeconds !== undefined) return fail(new RescueError("rate_limited", text, { closeCode: code, retryAfterSeconds }));
      fail(new RescueError(FINAL_CLOSES.includes(code) ? "not_found" : "unavailable", text || `closed (${code})`, { closeCode: code }));
    });
    ws.once("open", () => send(ws, first));
    // The server sends `status` right behind `joined`: kept until the connection listens.
    const early: WebSocket.RawData[] = [];
    let joined: Joined | undefined;
    const onMessage = (data: WebSocket.RawData) => {
      if (joined) return void early.push(data);
      const msg = ServerToCustomer.safeParse(parseJson(data));
      if (!msg.success || msg.data.type !== "joined") {
        ws.terminate();
        fail(new RescueError("bad_request", "unexpected first message from the server"));
        return;
      }
      joined = msg.data;
      clearTimeout(timer);
      ws.removeAllListeners("close");
      ws.removeAllListeners("error");
      ws.on("error", () => {});
      resolve({
        ws,
        joined,
        takeEarly: () => {
          ws.off("message", onMessage);
          return early;
        },
      });
    };
    ws.on("message", onMessage);
  });
}

function send(ws: WebSocket, msg: CustomerToServer): void {
  ws.send(JSON.stringify(CustomerToServer.parse(msg)));
}

function parseJson(data: WebSocket.RawData): unknown {
  try {
    return JSON.parse(data.toString());
  } catch {
    return undefined;
  }
}

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
  closed: [{ code: number; reason: string }];
}

/**
 * The customer's side of the server conversation: join with a PIN, report devices, answer the
 * EULA, then relay signalling and chat. Used by the simulator; the browser page speaks the same
 * protocol from its own script.
 */
export class CustomerConnection extends EventEmitter<CustomerConnectionEvents> {
  private constructor(
    private readonly ws: WebSocket,
    readonly joined: Joined,
  ) {
    super();
    ws.on("message", (data) => this.onMessage(data));
    ws.on("close", (code, reason) => this.emit("closed", { code, reason: reason.toString() }));
  }

  get sessionId(): string {
    return this.joined.sessionId;
  }
  get iceServers(): IceServer[] {
    return this.joined.iceServers;
  }

  /** Connects and joins; rejects with the server's close reason when the PIN is refused. */
  static async join(serverUrl: string, pin: string, name?: string, timeoutMs = 10_000): Promise<CustomerConnection> {
    const url = new URL("/api/v1/customer/ws", serverUrl);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(url, { maxPayload: MAX_MESSAGE_BYTES });
    return new Promise<CustomerConnection>((resolve, reject) => {
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new RescueError("timeout", `no answer from ${serverUrl} within ${timeoutMs} ms`));
      }, timeoutMs);
      const fail = (err: RescueError) => {
        clearTimeout(timer);
        reject(err);
      };
      ws.once("error", (err) => fail(new RescueError("unavailable", `cannot reach ${serverUrl}: ${err.message}`)));
      ws.once("close", (code, reason) => fail(new RescueError("not_found", reason.toString() || `closed (${code})`)));
      ws.once("open", () => send(ws, { type: "join", pin, ...(name ? { name } : {}) }));
      ws.once("message", (data) => {
        const msg = ServerToCustomer.safeParse(parseJson(data));
        if (!msg.success || msg.data.type !== "joined") {
          ws.terminate();
          fail(new RescueError("bad_request", "unexpected first message from the server"));
          return;
        }
        clearTimeout(timer);
        ws.removeAllListeners("close");
        ws.removeAllListeners("error");
        ws.on("error", () => {});
        resolve(new CustomerConnection(ws, msg.data));
      });
    });
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

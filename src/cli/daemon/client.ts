import { request as httpRequest, type IncomingMessage } from "node:http";
import { z } from "zod";
// Only the protocol modules the local API needs: each module costs startup time.
import { AddTechnicianResponse, Group, Technician, type AddTechnicianRequest, type GroupPatch, type GroupRequest } from "../../protocol/api.js";
import { ErrorBody, RescueError } from "../../protocol/errors.js";
import { ApiKey, CreatedApiKey } from "../../protocol/integration.js";
import {
  DaemonEvent,
  DaemonStatus,
  LOCALAPI_VERSION,
  LOCALAPI_VERSION_HEADER,
  Recording,
  SessionStats,
  StartResponse,
  type StartRequest,
} from "../../protocol/localapi.js";
import { ChatMessage, Session, SessionLogEntry } from "../../protocol/session.js";
import type { CreateSessionRequest } from "../../protocol/api.js";
import { DaemonUnavailable, DaemonVersionMismatch } from "../errors.js";

type Method = "GET" | "POST" | "PATCH" | "DELETE";

export interface EventStream {
  events: AsyncIterable<DaemonEvent>;
  close(): void;
}

const CONNECT_ERRORS = new Set(["ENOENT", "ECONNREFUSED", "ECONNRESET", "EPIPE", "ENOTSOCK", "EACCES"]);
const enc = encodeURIComponent;

/**
 * The local API over the daemon's unix socket. Every answer is parsed with its schema; a
 * daemon that cannot be reached (or speaks another version) is DaemonUnavailable, exit 3.
 */
export class DaemonClient {
  constructor(
    readonly socketPath: string,
    /** Called once when the daemon is not running; starts it (or throws). */
    private readonly startDaemon?: () => Promise<void>,
  ) {}

  private open(method: Method, path: string, body?: unknown): Promise<IncomingMessage> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          socketPath: this.socketPath,
          method,
          path,
          headers: {
            [LOCALAPI_VERSION_HEADER]: LOCALAPI_VERSION,
            ...(payload === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }),
          },
        },
        resolve,
      );
      req.on("error", (e: NodeJS.ErrnoException) => {
        if (e.code && CONNECT_ERRORS.has(e.code)) reject(new DaemonUnavailable(`rescued is not running (${e.code} on ${this.socketPath}): run rescue daemon start`));
        else reject(e);
      });
      req.end(payload);
    });
  }

  /** Opens a request, starting the daemon first if it is down and we may. */
  private async openStarting(method: Method, path: string, body?: unknown): Promise<IncomingMessage> {
    let res: IncomingMessage;
    try {
      res = await this.open(method, path, body);
    } catch (e) {
      if (!(e instanceof DaemonUnavailable) || !this.startDaemon) throw e;
      await this.startDaemon();
      res = await this.open(method, path, body);
    }
    const version = res.headers[LOCALAPI_VERSION_HEADER];
    if (version !== LOCALAPI_VERSION) {
      res.resume();
      throw new DaemonVersionMismatch(`rescued speaks local API version ${version ?? "unknown"}, this rescue speaks ${LOCALAPI_VERSION}: restart it with rescue daemon stop`);
    }
    return res;
  }

  async call<S extends z.ZodType>(method: Method, path: string, schema: S, body?: unknown): Promise<z.infer<S>> {
    const res = await this.openStarting(method, path, body);
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const json: unknown = text ? JSON.parse(text) : undefined;
    const status = res.statusCode ?? 500;
    if (status >= 400) {
      const err = ErrorBody.safeParse(json);
      throw err.success ? RescueError.fromBody(err.data) : new RescueError("internal", `rescued answered ${status}`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new RescueError("internal", `unexpected answer from rescued for ${method} ${path}`);
    return parsed.data;
  }

  /** The event stream; resolves once the daemon has subscribed us, so nothing after this is missed. */
  async events(since?: number): Promise<EventStream> {
    const res = await this.openStarting("GET", `/api/v1/events${since === undefined ? "" : `?since=${since}`}`);
    if ((res.statusCode ?? 500) >= 400) {
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      const err = ErrorBody.safeParse(JSON.parse(Buffer.concat(chunks).toString("utf8") || "null"));
      throw err.success ? RescueError.fromBody(err.data) : new RescueError("internal", "rescued refused the event stream");
    }
    return eventLines(res);
  }

  status = () => this.call("GET", "/api/v1/status", DaemonStatus);
  reload = () => this.call("POST", "/api/v1/reload", DaemonStatus);
  shutdown = () => this.call("POST", "/api/v1/shutdown", z.unknown());
  listSessions = (status?: string) => this.call("GET", `/api/v1/sessions${status ? `?status=${enc(status)}` : ""}`, z.array(Session));
  createSession = (req: CreateSessionRequest) => this.call("POST", "/api/v1/sessions", Session, req);
  getSession = (id: string) => this.call("GET", `/api/v1/sessions/${enc(id)}`, Session);
  sessionAction = (id: string, action: "pin" | "hold" | "resume" | "end") => this.call("POST", `/api/v1/sessions/${enc(id)}/${action}`, Session);
  startSession = (id: string, req: StartRequest) => this.call("POST", `/api/v1/sessions/${enc(id)}/start`, StartResponse, req);
  sessionLog = (id: string) => this.call("GET", `/api/v1/sessions/${enc(id)}/log`, z.array(SessionLogEntry));
  sessionStats = (id: string) => this.call("GET", `/api/v1/sessions/${enc(id)}/stats`, SessionStats);
  talk = (id: string, audioPath: string) => this.call("POST", `/api/v1/sessions/${enc(id)}/talk`, z.object({ playing: z.string() }), { audioPath });
  setMuted = (id: string, muted: boolean) =>
    this.call("POST", `/api/v1/sessions/${enc(id)}/${muted ? "mute" : "unmute"}`, SessionStats.shape.audio);
  chat = (id: string, text: string) => this.call("POST", `/api/v1/sessions/${enc(id)}/chat`, ChatMessage, { text });
  recordings = () => this.call("GET", "/api/v1/recordings", z.array(Recording));
  listGroups = () => this.call("GET", "/api/v1/admin/groups", z.array(Group));
  createGroup = (req: GroupRequest) => this.call("POST", "/api/v1/admin/groups", Group, req);
  patchGroup = (name: string, req: GroupPatch) => this.call("PATCH", `/api/v1/admin/groups/${enc(name)}`, Group, req);
  listTechnicians = () => this.call("GET", "/api/v1/admin/technicians", z.array(Technician));
  addTechnician = (req: AddTechnicianRequest) => this.call("POST", "/api/v1/admin/technicians", AddTechnicianResponse, req);
  createApiKey = (name: string) => this.call("POST", "/api/v1/apikeys", CreatedApiKey, { name });
  listApiKeys = () => this.call("GET", "/api/v1/apikeys", z.array(ApiKey));
  revokeApiKey = (id: string) => this.call("DELETE", `/api/v1/apikeys/${enc(id)}`, z.undefined());
}

/**
 * NDJSON lines of the event stream as an async iterable that ends, rather than hangs, when the
 * stream is closed from either side.
 */
function eventLines(res: IncomingMessage): EventStream {
  const queue: DaemonEvent[] = [];
  let ended = false;
  let wake: (() => void) | null = null;
  let buffer = "";
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const end = () => {
    ended = true;
    notify();
  };
  res.setEncoding("utf8");
  res.on("data", (chunk: string) => {
    buffer += chunk;
    let i: number;
    while ((i = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, i).trim();
      buffer = buffer.slice(i + 1);
      if (!line) continue;
      const parsed = DaemonEvent.safeParse(JSON.parse(line));
      if (parsed.success) queue.push(parsed.data);
    }
    notify();
  });
  res.on("end", end);
  res.on("close", end);
  res.on("error", end);
  async function* events(): AsyncIterable<DaemonEvent> {
    for (;;) {
      const next = queue.shift();
      if (next) {
        yield next;
        continue;
      }
      if (ended) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  }
  return {
    events: events(),
    close: () => {
      res.destroy();
      end();
    },
  };
}

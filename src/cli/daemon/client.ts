import { request as httpRequest, type IncomingMessage } from "node:http";
import { connect } from "node:net";
import type { Readable } from "node:stream";
import type * as z from "zod";
import type { AddTechnicianRequest, CreateSessionRequest, GroupPatch, GroupRequest, TechnicianPatch } from "../../protocol/api.js";
import type { CollaboratorPatch, InviteRequest } from "../../protocol/collaboration.js";
import type { LensActionInput } from "../../protocol/lens.js";
import type { RescueError } from "../../protocol/errors.js";
import type { DaemonEvent, LiveTalkResponse, StartRequest } from "../../protocol/localapi.js";
import { LOCALAPI_VERSION, LOCALAPI_VERSION_HEADER } from "../../protocol/localapi-version.js";
import { DaemonUnavailable, DaemonVersionMismatch, UsageError } from "../errors.js";

type Method = "GET" | "POST" | "PATCH" | "DELETE";

export interface EventStream {
  events: AsyncIterable<DaemonEvent>;
  close(): void;
}

/** A schema, or how to load it: loading runs while the request is on its way (see `call`). */
type SchemaOrLoader<S extends z.ZodType> = S | (() => Promise<S>);

// Schemas load on first use, each module only when a call needs it: zod and the protocol
// modules are most of a command's startup time.
const api = () => import("../../protocol/api.js");
const collaboration = () => import("../../protocol/collaboration.js");
const common = () => import("../../protocol/common.js");
const errors = () => import("../../protocol/errors.js");
const integration = () => import("../../protocol/integration.js");
const localapi = () => import("../../protocol/localapi.js");
const session = () => import("../../protocol/session.js");
const lensProtocol = () => import("../../protocol/lens.js");
const arrayOf = async <S extends z.ZodType>(item: Promise<S>) => (await common()).listOf(await item);

async function fail(code: RescueError["code"], message: string): Promise<never> {
  throw new (await errors()).RescueError(code, message);
}

async function errorFrom(json: unknown, fallback: string): Promise<RescueError> {
  const { ErrorBody, RescueError } = await errors();
  const err = ErrorBody.safeParse(json);
  return err.success ? RescueError.fromBody(err.data) : new RescueError("internal", fallback);
}

/** The error a streaming route answered with instead of its stream. */
async function refusal(res: IncomingMessage, fallback: string): Promise<RescueError> {
  return errorFrom(await readJson(res), fallback);
}

/**
 * How long a daemon that took the connection may keep the answer's head to itself before it is
 * asked whether it is alive (GET /api/v1/status), and how long that probe may take. A slow answer
 * from a live daemon (a slow server behind it) is waited for; a hung one (SIGSTOP, a deadlock) is
 * given up on after about 15 s. Streams (events, audio, video) are not bound once their head came.
 */
const ANSWER_PATIENCE_MS = 10_000;
const PROBE_MS = 5_000;

const CONNECT_ERRORS = new Set(["ENOENT", "ECONNREFUSED", "ECONNRESET", "EPIPE", "ENOTSOCK", "EACCES"]);
const enc = encodeURIComponent;
/** The shape of every id on the wire (protocol/common.ts `Id`), here without loading zod. */
const ID = /^[A-Za-z0-9_-]{1,64}$/;
/** A session id for a path: one that cannot be an id (`../../x`) is a usage error, said plainly. */
const sid = (id: string): string => {
  if (!ID.test(id)) throw new UsageError(`not a session id: ${id}`);
  return id;
};

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

  /** `body` is sent as JSON, or streamed as is (chunked) when it is a stream. */
  private open(method: Method, path: string, body?: unknown): Promise<IncomingMessage> {
    const upload = isReadable(body) ? body : undefined;
    const payload = body === undefined || upload ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          // Our own connection rather than `socketPath`: the default agent would test the host
          // name for an IP address, and compiling that regular expression costs 4 ms per command.
          createConnection: () => connect(this.socketPath),
          method,
          path,
          headers: {
            [LOCALAPI_VERSION_HEADER]: LOCALAPI_VERSION,
            ...(payload === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }),
            ...(upload ? { "content-type": "audio/ogg", "transfer-encoding": "chunked" } : {}),
          },
        },
        (res) => {
          headed = true;
          clearTimeout(patience);
          resolve(res);
        },
      );
      let headed = false;
      const hung = async () => {
        if (headed) return;
        if (!(await this.answers())) {
          req.destroy();
          reject(await this.notAnswering());
        } else if (!req.destroyed && !headed) patience = setTimeout(hung, ANSWER_PATIENCE_MS);
      };
      let patience = setTimeout(hung, ANSWER_PATIENCE_MS);
      req.on("close", () => clearTimeout(patience));
      req.on("error", (e: NodeJS.ErrnoException) => {
        clearTimeout(patience);
        if (e.code && CONNECT_ERRORS.has(e.code)) reject(new DaemonUnavailable(`rescued is not running (${e.code} on ${this.socketPath}): run rescue daemon start`));
        else reject(e);
      });
      if (!upload) return req.end(payload);
      upload.pipe(req);
      // An answer may come before the upload ends (the session ended): later write errors do not matter.
      req.once("response", () => req.on("error", () => undefined));
    });
  }

  /** Whether the daemon answers GET /api/v1/status within PROBE_MS, on a connection of its own. */
  private answers(): Promise<boolean> {
    return new Promise((resolve) => {
      const probe = httpRequest(
        { createConnection: () => connect(this.socketPath), method: "GET", path: "/api/v1/status", headers: { [LOCALAPI_VERSION_HEADER]: LOCALAPI_VERSION } },
        (res) => {
          res.resume();
          clearTimeout(timer);
          resolve(true);
        },
      );
      const timer = setTimeout(() => {
        probe.destroy();
        resolve(false);
      }, PROBE_MS);
      probe.on("error", () => {
        clearTimeout(timer);
        resolve(false);
      });
      probe.end();
    });
  }

  /** Exit 3, naming the daemon's pid (run/rescued.pid beside the socket) when it is known. */
  private async notAnswering(): Promise<DaemonUnavailable> {
    const { readPidFile } = await import("../../process/pidfile.js");
    const { dirname, join } = await import("node:path");
    const pid = readPidFile(join(dirname(this.socketPath), "rescued.pid"))?.pid;
    return new DaemonUnavailable(`rescued does not answer${pid ? ` (pid ${pid})` : ""}: try rescue daemon stop`);
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

  /**
   * One request, its answer parsed with `schema`. A loader is started after the request is
   * sent, so the daemon answers while the schema loads.
   */
  async call<S extends z.ZodType>(method: Method, path: string, schema: SchemaOrLoader<S>, body?: unknown): Promise<z.infer<S>> {
    const [res, parser] = await Promise.all([this.openStarting(method, path, body), typeof schema === "function" ? schema() : schema]);
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const json: unknown = text ? JSON.parse(text) : undefined;
    const status = res.statusCode ?? 500;
    if (status >= 400) throw await errorFrom(json, `rescued answered ${status}`);
    // One answer per schema in a CLI process: building zod's compiled fast path costs more than it saves.
    const parsed = parser.safeParse(json, { jitless: true });
    if (!parsed.success) return fail("internal", `unexpected answer from rescued for ${method} ${path}`);
    return parsed.data;
  }

  /** The event stream; resolves once the daemon has subscribed us, so nothing after this is missed. */
  async events(since?: number): Promise<EventStream> {
    const [res, { DaemonEvent }] = await Promise.all([this.openStarting("GET", `/api/v1/events${since === undefined ? "" : `?since=${since}`}`), localapi()]);
    if ((res.statusCode ?? 500) >= 400) throw await refusal(res, "rescued refused the event stream");
    return eventLines(res, DaemonEvent);
  }

  /**
   * The live video of a session: VP8 in IVF or H.264 Annex B, from its current keyframe on, until
   * the session's media ends or `close` is called. Rejects with the daemon's error (no media yet).
   */
  async videoStream(id: string): Promise<{ format: "ivf" | "h264"; body: IncomingMessage; close(): void }> {
    const res = await this.openStarting("GET", `/api/v1/sessions/${sid(id)}/video`);
    if ((res.statusCode ?? 500) >= 400) throw await refusal(res, `rescued refused the video of ${id}`);
    const format = res.headers["content-type"] === "video/h264" ? "h264" : "ivf";
    return { format, body: res, close: () => res.destroy() };
  }

  /**
   * The customer's voice, live, as an Ogg/Opus byte stream (a page per packet) from now on; it ends
   * when the session ends for us. Destroy it to stop listening. `save`: it goes into a file, which
   * needs the record permission and is written into the session log. Errors (no such session, not
   * in it, forbidden) are thrown before any audio.
   */
  async customerAudio(id: string, opts: { save?: boolean } = {}): Promise<IncomingMessage> {
    const res = await this.openStarting("GET", `/api/v1/sessions/${sid(id)}/audio${opts.save ? "?save=1" : ""}`);
    if ((res.statusCode ?? 500) >= 400) throw await refusal(res, `rescued refused the audio of ${id}`);
    return res;
  }

  /**
   * Streams `upload` (Ogg/Opus, e.g. ffmpeg's stdout) to the customer as the technician's live
   * voice. Resolves with the daemon's summary once the upload ends, or earlier when the daemon
   * stops the talk (the session ended). Does not start the daemon (the stream cannot be replayed).
   */
  async talkLive(id: string, upload: Readable): Promise<LiveTalkResponse> {
    const [res, { LiveTalkResponse }] = await Promise.all([this.open("POST", `/api/v1/sessions/${sid(id)}/talk/live`, upload), localapi()]);
    const json = await readJson(res);
    if ((res.statusCode ?? 500) >= 400) throw await errorFrom(json, `rescued refused the live talk in ${id}`);
    const parsed = LiveTalkResponse.safeParse(json);
    if (!parsed.success) return fail("internal", "unexpected answer from rescued for the live talk");
    return parsed.data;
  }

  status = () => this.call("GET", "/api/v1/status", async () => (await localapi()).DaemonStatus);
  reload = () => this.call("POST", "/api/v1/reload", async () => (await localapi()).DaemonStatus);
  shutdown = () => this.call("POST", "/api/v1/shutdown", async () => (await localapi()).AnyAnswer);
  listSessions = (status?: string) =>
    this.call("GET", `/api/v1/sessions${status ? `?status=${enc(status)}` : ""}`, () => arrayOf(session().then((m) => m.Session)));
  createSession = (req: CreateSessionRequest) => this.call("POST", "/api/v1/sessions", async () => (await session()).Session, req);
  getSession = (id: string) => this.call("GET", `/api/v1/sessions/${sid(id)}`, async () => (await session()).Session);
  sessionAction = (id: string, action: "pin" | "hold" | "resume" | "end") =>
    this.call("POST", `/api/v1/sessions/${sid(id)}/${action}`, async () => (await session()).Session);
  startSession = (id: string, req: StartRequest) => this.call("POST", `/api/v1/sessions/${sid(id)}/start`, async () => (await localapi()).StartResponse, req);
  sessionLog = (id: string) => this.call("GET", `/api/v1/sessions/${sid(id)}/log`, () => arrayOf(session().then((m) => m.SessionLogEntry)));
  sessionStats = (id: string) => this.call("GET", `/api/v1/sessions/${sid(id)}/stats`, async () => (await localapi()).SessionStats);
  talk = (id: string, audioPath: string) =>
    this.call("POST", `/api/v1/sessions/${sid(id)}/talk`, async () => (await localapi()).TalkResponse, { audioPath });
  snapshot = (id: string, out?: string) =>
    this.call("POST", `/api/v1/sessions/${sid(id)}/snapshot`, async () => (await localapi()).Snapshot, out ? { out } : {});
  setMuted = (id: string, muted: boolean) =>
    this.call("POST", `/api/v1/sessions/${sid(id)}/${muted ? "mute" : "unmute"}`, async () => (await localapi()).SessionStats.shape.audio);
  lens = (id: string, action: LensActionInput) => this.call("POST", `/api/v1/sessions/${sid(id)}/lens`, async () => (await lensProtocol()).LensResult, action);
  chat = (id: string, text: string) => this.call("POST", `/api/v1/sessions/${sid(id)}/chat`, async () => (await session()).ChatMessage, { text });
  invite = (id: string, req: InviteRequest) =>
    this.call("POST", `/api/v1/sessions/${sid(id)}/invitations`, async () => (await collaboration()).InviteResponse, req);
  join = (pin: string) => this.call("POST", "/api/v1/join", async () => (await collaboration()).JoinResponse.omit({ token: true }), { pin });
  transfer = (id: string, to: string) => this.call("POST", `/api/v1/sessions/${sid(id)}/transfer`, async () => (await session()).Session, { to });
  /** The lead replaces what a collaborator (by id or email) may do. */
  setCollaborator = (id: string, collaborator: string, patch: CollaboratorPatch) =>
    this.call("PATCH", `/api/v1/sessions/${sid(id)}/collaborators/${enc(collaborator)}`, async () => (await session()).Session, patch);
  /** The lead removes a collaborator (by id or email) from the session. */
  removeCollaborator = (id: string, collaborator: string) =>
    this.call("POST", `/api/v1/sessions/${sid(id)}/collaborators/${enc(collaborator)}/remove`, async () => (await session()).Session);
  recordings = () => this.call("GET", "/api/v1/recordings", () => arrayOf(localapi().then((m) => m.Recording)));
  showRecordings = (ref: string) => this.call("GET", `/api/v1/recordings/show?ref=${enc(ref)}`, () => arrayOf(localapi().then((m) => m.RecordingDetail)));
  deleteRecordings = (ref: string) => this.call("POST", "/api/v1/recordings/delete", async () => (await localapi()).DeletedRecordings, { ref });
  listGroups = () => this.call("GET", "/api/v1/admin/groups", () => arrayOf(api().then((m) => m.Group)));
  createGroup = (req: GroupRequest) => this.call("POST", "/api/v1/admin/groups", async () => (await api()).Group, req);
  patchGroup = (name: string, req: GroupPatch) => this.call("PATCH", `/api/v1/admin/groups/${enc(name)}`, async () => (await api()).Group, req);
  listTechnicians = () => this.call("GET", "/api/v1/admin/technicians", () => arrayOf(api().then((m) => m.Technician)));
  addTechnician = (req: AddTechnicianRequest) => this.call("POST", "/api/v1/admin/technicians", async () => (await api()).AddTechnicianResponse, req);
  /** Off-boarding (admins): `force` ends the live sessions the technician leads. */
  removeTechnician = (email: string, force: boolean) =>
    this.call("DELETE", `/api/v1/admin/technicians/${enc(email)}${force ? "?force=true" : ""}`, async () => (await api()).OffboardResult);
  patchTechnician = (email: string, patch: TechnicianPatch) => this.call("PATCH", `/api/v1/admin/technicians/${enc(email)}`, async () => (await api()).OffboardResult, patch);
  resetPassword = (email: string) => this.call("POST", `/api/v1/admin/technicians/${enc(email)}/password`, async () => (await api()).PasswordReset);
  deleteGroup = (name: string) => this.call("DELETE", `/api/v1/admin/groups/${enc(name)}`, async () => (await api()).Group);
  withdrawExternal = (email: string) =>
    this.call("DELETE", `/api/v1/admin/external-technicians/${enc(email)}`, async () => (await collaboration()).ExternalTechnician);
  createApiKey = (name: string) => this.call("POST", "/api/v1/apikeys", async () => (await integration()).CreatedApiKey, { name });
  listApiKeys = () => this.call("GET", "/api/v1/apikeys", () => arrayOf(integration().then((m) => m.ApiKey)));
  revokeApiKey = (id: string) => this.call("DELETE", `/api/v1/apikeys/${enc(id)}`, async () => (await localapi()).NoAnswer);
}

function isReadable(v: unknown): v is Readable {
  return typeof v === "object" && v !== null && typeof (v as Readable).pipe === "function";
}

async function readJson(res: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * NDJSON lines of the event stream as an async iterable that ends, rather than hangs, when the
 * stream is closed from either side.
 */
function eventLines(res: IncomingMessage, schema: typeof DaemonEvent): EventStream {
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
      const parsed = schema.safeParse(JSON.parse(line));
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

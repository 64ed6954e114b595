import {
  OffboardResult,
  PasswordReset,
  TechnicianPatch,
  AddTechnicianRequest,
  AddTechnicianResponse,
  ApiKey,
  ChatMessage,
  CreateApiKeyRequest,
  CreatedApiKey,
  ChatRequest,
  CreateSessionRequest,
  Group,
  GroupPatch,
  GroupRequest,
  LensAccepted,
  LensAction,
  type LensResult,
  NoAnswer,
  RecordingRef,
  type DeletedRecordings,
  RescueError,
  Session,
  SessionLog,
  SessionStatus,
  SnapshotRequest,
  StartRequest,
  TalkRequest,
  Technician,
  type StartResponse,
  type TalkResponse,
} from "../../src/protocol/index.js";
import { join } from "node:path";
import * as z from "zod";
import { ownPrivateDir } from "../../src/profile/private-dir.js";
import type { Daemon } from "../daemon.js";
import { audioRoutes } from "./audio-routes.js";
import { collaborationRoutes } from "./collaboration-routes.js";
import type { Route, RouteContext } from "./server.js";

const enc = encodeURIComponent;

/** Every route of the local API, in one table. */
export function routes(d: Daemon): Route[] {
  const rest = () => d.backend.ready();

  const sessionAction = (action: "pin" | "hold" | "resume" | "end"): Route => ({
    method: "POST",
    path: `/api/v1/sessions/:id/${action}`,
    handler: async ({ params }) => {
      const session = await (await rest()).call("POST", `/api/v1/sessions/${enc(params.id!)}/${action}`, Session);
      d.sessions.upsert(session);
      return session;
    },
  });

  const mute = (action: "mute" | "unmute", muted: boolean): Route => ({
    method: "POST",
    path: `/api/v1/sessions/:id/${action}`,
    handler: async ({ params }) => {
      const id = (await knownSession(params.id!)).id;
      d.manager.setMuted(id, muted);
      return d.manager.stats(id).audio;
    },
  });

  const knownSession = async (id: string): Promise<Session> => {
    const client = await rest();
    return d.sessions.get(id) ?? client.call("GET", `/api/v1/sessions/${enc(id)}`, Session);
  };

  return [
    { method: "GET", path: "/api/v1/status", handler: () => d.status() },
    { method: "POST", path: "/api/v1/reload", handler: async () => (await d.reload(), d.status()) },
    {
      method: "POST",
      path: "/api/v1/shutdown",
      status: 202,
      handler: () => {
        setImmediate(() => void d.shutdown("asked by the local API"));
        return { stopping: true };
      },
    },
    { method: "GET", path: "/api/v1/events", streams: true, handler: (ctx) => streamEvents(d, ctx) },
    {
      method: "GET",
      path: "/api/v1/sessions",
      handler: async ({ query }) => {
        const status = query.get("status");
        if (status !== null && !SessionStatus.safeParse(status).success) {
          throw new RescueError("bad_request", `unknown status "${status}": one of ${SessionStatus.options.join(", ")}`);
        }
        await rest();
        return d.sessions.list(status ?? undefined);
      },
    },
    {
      method: "POST",
      path: "/api/v1/sessions",
      body: CreateSessionRequest,
      handler: async ({ body }) => {
        const session = await (await rest()).call("POST", "/api/v1/sessions", Session, body);
        d.sessions.upsert(session);
        return session;
      },
    },
    { method: "GET", path: "/api/v1/sessions/:id", handler: ({ params }) => knownSession(params.id!) },
    sessionAction("pin"),
    {
      method: "POST",
      path: "/api/v1/sessions/:id/start",
      body: StartRequest,
      handler: async ({ params, body }) => {
        const req = body as z.infer<typeof StartRequest>;
        const warnings = d.manager.prepare(await knownSession(params.id!), req);
        const session = await (await rest()).call("POST", `/api/v1/sessions/${enc(params.id!)}/start`, Session);
        d.sessions.upsert(session);
        const recording = await d.manager.started(session, req);
        const out: StartResponse = { id: session.id, status: "active", ...(recording ? { recording } : {}), ...(warnings.length ? { warnings } : {}) };
        return out;
      },
    },
    sessionAction("hold"),
    sessionAction("resume"),
    sessionAction("end"),
    {
      method: "GET",
      path: "/api/v1/sessions/:id/log",
      handler: async ({ params }) => (await rest()).call("GET", `/api/v1/sessions/${enc(params.id!)}/log`, SessionLog),
    },
    {
      method: "GET",
      path: "/api/v1/sessions/:id/stats",
      handler: async ({ params }) => d.manager.statsOf(await knownSession(params.id!)),
    },
    {
      method: "POST",
      path: "/api/v1/sessions/:id/chat",
      body: ChatRequest,
      handler: async ({ params, body }) => (await rest()).call("POST", `/api/v1/sessions/${enc(params.id!)}/chat`, ChatMessage, body),
    },
    {
      method: "POST",
      path: "/api/v1/sessions/:id/talk",
      body: TalkRequest,
      status: 202,
      handler: async ({ params, body }) => {
        const { audioPath } = body as z.infer<typeof TalkRequest>;
        const id = (await knownSession(params.id!)).id;
        // Playing takes as long as the clip: answer once it is read, report later failures in the log.
        d.manager.talk(id, audioPath).catch((e: Error) => d.log.error(e.message));
        return { playing: audioPath } satisfies TalkResponse;
      },
    },
    ...audioRoutes(d, knownSession),
    mute("mute", true),
    mute("unmute", false),
    {
      method: "GET",
      path: "/api/v1/sessions/:id/video",
      streams: true,
      handler: async (ctx) => streamVideo(d, (await knownSession(ctx.params.id!)).id, ctx),
    },
    {
      method: "POST",
      path: "/api/v1/sessions/:id/snapshot",
      body: SnapshotRequest,
      handler: async ({ params, body }) => {
        const id = (await knownSession(params.id!)).id;
        const { out } = body as z.infer<typeof SnapshotRequest>;
        if (out) return d.manager.snapshot(id, out);
        const tightened = ownPrivateDir(d.paths.snapshots);
        if (tightened) d.log.warn(`${tightened}, now 0700: it holds stills of customer video`);
        const stamp = new Date().toISOString().replace(/[:.]/g, "-");
        return d.manager.snapshot(id, join(d.paths.snapshots, `${id}-${stamp}.png`));
      },
    },
    {
      // Lens tools: the server allows (and logs) first; the lead's own daemon then delivers, a
      // collaborator's action is relayed by the server to the lead's daemon.
      method: "POST",
      path: "/api/v1/sessions/:id/lens",
      body: LensAction,
      handler: async ({ params, body }): Promise<LensResult> => {
        const action = body as LensAction;
        const id = (await knownSession(params.id!)).id;
        d.manager.lensReady(id);
        const accepted = await (await rest()).call("POST", `/api/v1/sessions/${enc(id)}/lens`, LensAccepted, action);
        // A collaborator's: the server answers once the lead's daemon delivered it (or says why not).
        if (accepted.delivery === "relayed") {
          return {
            sessionId: id,
            action: action.action,
            delivery: "relayed",
            ...(accepted.applied === undefined ? {} : { applied: accepted.applied }),
            ...(accepted.reason ? { reason: accepted.reason } : {}),
          };
        }
        let still: string | undefined;
        if (action.action === "freeze") {
          const tightened = ownPrivateDir(d.paths.snapshots);
          if (tightened) d.log.warn(`${tightened}, now 0700: it holds stills of customer video`);
          still = join(d.paths.snapshots, `${id}-freeze-${new Date().toISOString().replace(/[:.]/g, "-")}.png`);
        }
        return d.manager.lens(id, action, d.backend.email ?? "lead", still);
      },
    },
    { method: "GET", path: "/api/v1/recordings", handler: () => d.manager.recordings() },
    {
      method: "GET",
      path: "/api/v1/recordings/show",
      handler: ({ query }) => {
        const ref = RecordingRef.safeParse({ ref: query.get("ref") ?? "" });
        if (!ref.success) throw new RescueError("bad_request", "ref: a session id or a recording's path (1 to 4096 characters)");
        return d.manager.showRecordings(ref.data.ref);
      },
    },
    {
      method: "POST",
      path: "/api/v1/recordings/delete",
      body: RecordingRef,
      handler: async ({ body }) => ({ deleted: await d.manager.deleteRecordings((body as z.infer<typeof RecordingRef>).ref) }) satisfies DeletedRecordings,
    },
    // The created key passes through to the CLI once; the daemon neither keeps nor logs it.
    {
      method: "POST",
      path: "/api/v1/apikeys",
      body: CreateApiKeyRequest,
      status: 201,
      handler: async ({ body }) => (await rest()).call("POST", "/api/v1/apikeys", CreatedApiKey, body),
    },
    { method: "GET", path: "/api/v1/apikeys", handler: async () => (await rest()).call("GET", "/api/v1/apikeys", z.array(ApiKey)) },
    {
      method: "DELETE",
      path: "/api/v1/apikeys/:id",
      handler: async ({ params }) => void (await (await rest()).call("DELETE", `/api/v1/apikeys/${enc(params.id!)}`, NoAnswer)),
    },
    ...collaborationRoutes(d),
    {
      method: "GET",
      path: "/api/v1/admin/groups",
      handler: async () => (await rest()).call("GET", "/api/v1/admin/groups", z.array(Group)),
    },
    {
      method: "POST",
      path: "/api/v1/admin/groups",
      body: GroupRequest,
      handler: async ({ body }) => (await rest()).call("POST", "/api/v1/admin/groups", Group, body),
    },
    {
      method: "PATCH",
      path: "/api/v1/admin/groups/:name",
      body: GroupPatch,
      handler: async ({ params, body }) => (await rest()).call("PATCH", `/api/v1/admin/groups/${enc(params.name!)}`, Group, body),
    },
    {
      method: "GET",
      path: "/api/v1/admin/technicians",
      handler: async () => (await rest()).call("GET", "/api/v1/admin/technicians", z.array(Technician)),
    },
    {
      method: "POST",
      path: "/api/v1/admin/technicians",
      body: AddTechnicianRequest,
      handler: async ({ body }) => (await rest()).call("POST", "/api/v1/admin/technicians", AddTechnicianResponse, body),
    },
    {
      method: "DELETE",
      path: "/api/v1/admin/technicians/:email",
      handler: async ({ params, query }) =>
        (await rest()).call("DELETE", `/api/v1/admin/technicians/${enc(params.email!)}${query.get("force") === "true" ? "?force=true" : ""}`, OffboardResult),
    },
    {
      method: "PATCH",
      path: "/api/v1/admin/technicians/:email",
      body: TechnicianPatch,
      handler: async ({ params, body }) => (await rest()).call("PATCH", `/api/v1/admin/technicians/${enc(params.email!)}`, OffboardResult, body),
    },
    {
      method: "POST",
      path: "/api/v1/admin/technicians/:email/password",
      handler: async ({ params }) => (await rest()).call("POST", `/api/v1/admin/technicians/${enc(params.email!)}/password`, PasswordReset),
    },
    {
      method: "DELETE",
      path: "/api/v1/admin/groups/:name",
      handler: async ({ params }) => (await rest()).call("DELETE", `/api/v1/admin/groups/${enc(params.name!)}`, Group),
    },
  ];
}

/** The live video as one decodable stream, from the current keyframe on, until the media or the client ends. */
function streamVideo(d: Daemon, id: string, { req, res }: RouteContext): void {
  const tap = d.manager.videoTap(id);
  res.writeHead(200, { "content-type": tap.format === "ivf" ? "video/x-ivf" : "video/h264", "cache-control": "no-store" });
  res.flushHeaders();
  req.socket.setTimeout(0);
  req.socket.setNoDelay?.(true);
  const unsubscribe = tap.subscribe(res);
  res.on("close", unsubscribe);
}

/** NDJSON: first whatever the ring holds after `since`, then live events until the client leaves. */
function streamEvents(d: Daemon, { query, req, res }: RouteContext): void {
  const raw = query.get("since");
  const since = raw === null ? d.events.lastId : Number(raw);
  if (!Number.isSafeInteger(since) || since < 0) throw new RescueError("bad_request", "since must be a non-negative integer");
  res.writeHead(200, { "content-type": "application/x-ndjson", "cache-control": "no-store" });
  res.flushHeaders();
  for (const e of d.events.since(since)) res.write(`${JSON.stringify(e)}\n`);
  const unsubscribe = d.events.subscribe((e) => res.write(`${JSON.stringify(e)}\n`));
  req.socket.setTimeout(0);
  res.on("close", unsubscribe);
}

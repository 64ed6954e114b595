import {
  ChatMessage,
  ChatRequest,
  CreateSessionRequest,
  DaemonEvent,
  DaemonStatus,
  Invitation,
  InviteRequest,
  RecordingDetail,
  type CollaboratorPermission,
  InviteResponse,
  JoinRequest,
  JoinResponse,
  LensAction,
  RescueError,
  Session,
  SessionLogEntry,
  SessionStats,
  StartRequest,
  TransferRequest,
  type BackendState,
  type LensActionInput,
  type LensResult,
  type StartResponse,
} from "../../src/protocol/index.js";
import type { VideoSource } from "../../src/picture/live-picture.js";
import { bundledClip } from "../../src/customer/assets.js";
import { createReadStream, lstatSync, unlinkSync } from "node:fs";
import { readOggOpus } from "../../src/media/ogg-opus.js";
import { playAudioFile } from "../../src/cli/talk-file.js";
import type { ConsoleClient, VoiceHandle, VoiceKind } from "../../src/tui/client.js";

const LIVE = ["connecting", "waiting", "active", "on-hold", "collaborating"];
const MEDIA = ["active", "on-hold", "collaborating"];
const BASE_URL = "http://127.0.0.1:8080";
export const TECHNICIAN = "ann@example.com";
/** Technicians of the organisation besides me, and whether each is online. */
export const COLLEAGUES: Record<string, { online: boolean }> = { "bob@example.com": { online: true }, "carol@example.com": { online: false } };
/** Statuses the server accepts invitations and transfers in (src/server/sessions/collaboration.ts). */
const INVITABLE = ["active", "collaborating"];
const TRANSFERABLE = ["waiting", "active", "on-hold", "collaborating"];

/**
 * An in-memory daemon behind the ConsoleClient seam. It keeps the local API's promises: every
 * answer and event parses with the protocol schemas, event ids are gap-free and `since` is
 * honoured, status changes follow the session state machine, and a stopped daemon answers every
 * call, open streams included, with RescueError("unavailable").
 */
export class FakeDaemon implements ConsoleClient {
  readonly calls: string[] = [];
  private sessions = new Map<string, Session>();
  private logs = new Map<string, SessionLogEntry[]>();
  private statsById = new Map<string, SessionStats>();
  private buffer: DaemonEvent[] = [];
  private nextEventId = 1;
  private nextSession = 1;
  private nextPin = 482913;
  private nextInvitation = 1;
  private invitations = new Map<string, Invitation>();
  private wake = new Set<() => void>();
  private running = true;
  private pid = 4242;
  private startedAt = new Date().toISOString();
  private backend: BackendState = "connected";
  /** Errors the next call of a method answers with, as the daemon would relay them. */
  readonly failNext = new Map<string, RescueError>();

  // ---- the protocol side: things that happen to the daemon ----

  /** Adds a session as the server would report it after creation, without an event. */
  seed(name: string, status: Session["status"], at = new Date()): Session {
    const s = this.newSession({ method: "pin", name }, at);
    const seeded = Session.parse({ ...s, status, statusSince: at.toISOString(), pin: status === "connecting" ? s.pin : null });
    this.sessions.set(seeded.id, seeded);
    return seeded;
  }

  /** The customer entered the PIN, granted camera and microphone and accepted the EULA. */
  customerJoins(id: string): Session {
    const now = new Date().toISOString();
    return this.transition(id, ["connecting"], "waiting", {
      pin: null,
      customer: { camera: true, microphone: true, eulaAcceptedAt: now },
    }, ["customer-connected", "eula-accepted"]);
  }

  customerSays(id: string, text: string): ChatMessage {
    const s = this.get(id);
    const message = ChatMessage.parse({ sessionId: id, from: "customer", author: s.name || "customer", text, at: new Date().toISOString() });
    this.emit({ type: "chat", message });
    return message;
  }

  setStats(id: string, stats: Partial<SessionStats["video"]>, recordingBytes?: number): void {
    const held = this.currentStats(id);
    const next = SessionStats.parse({
      ...held,
      video: { ...held.video, ...stats },
      ...(held.recording && recordingBytes !== undefined ? { recording: { ...held.recording, bytes: recordingBytes } } : {}),
    });
    this.statsById.set(id, next);
  }

  /** The invitee joins with the PIN: the session lists them and is Collaborating. */
  collaboratorJoins(invitationId: string): Session {
    const inv = this.invitations.get(invitationId);
    if (!inv || inv.status !== "pending") throw new Error(`no pending invitation ${invitationId}`);
    this.invitations.set(inv.id, Invitation.parse({ ...inv, status: "joined", pin: null }));
    const s = this.get(inv.sessionId);
    const collaborator = { id: inv.id, technician: inv.to ?? "external technician", external: inv.kind === "external", permissions: inv.permissions, joinedAt: new Date().toISOString() };
    const change = { collaborators: [...(s.collaborators ?? []), collaborator] };
    if (s.status === "collaborating") {
      const next = Session.parse({ ...s, ...change });
      this.sessions.set(s.id, next);
      this.addLog(s.id, "joined", { technician: collaborator.technician });
      this.emit({ type: "session", session: next });
      return next;
    }
    return this.transition(s.id, ["active"], "collaborating", change, ["joined"]);
  }

  /** Another technician invites me into their session: the daemon relays the server's invitation. */
  invitedBy(from: string, sessionName: string, over: Partial<Invitation> = {}): Invitation {
    const now = new Date();
    const invitation = Invitation.parse({
      id: `i${this.nextInvitation++}`,
      sessionId: `r${this.nextInvitation}`,
      sessionName,
      from,
      kind: "internal",
      via: "email",
      approved: false,
      to: TECHNICIAN,
      permissions: ["view", "chat"],
      comment: null,
      status: "pending",
      pin: String(this.nextPin++),
      expiresAt: new Date(now.getTime() + 20 * 60_000).toISOString(),
      createdAt: now.toISOString(),
      ...over,
    });
    this.invitations.set(invitation.id, invitation);
    this.emit({ type: "invitation", invitation });
    return invitation;
  }

  setBackend(state: BackendState): void {
    this.backend = state;
    this.emit({ type: "backend", state });
  }

  /** The daemon exits: every call and open stream fails as unavailable. */
  stop(): void {
    this.running = false;
    this.wakeAll();
  }

  /** The daemon comes back; a new process numbers its events from 1 again. */
  restart({ newProcess }: { newProcess: boolean }): void {
    if (newProcess) {
      this.pid += 1;
      this.startedAt = new Date(Date.now() + 1).toISOString();
      this.buffer = [];
      this.nextEventId = 1;
    }
    this.running = true;
  }

  /** Breaks the gap-free promise once, as a daemon bug or a dropped line would: the next id is skipped. */
  skipAnEventId(): void {
    this.nextEventId += 1;
  }

  get eventCount(): number {
    return this.nextEventId - 1;
  }

  // ---- ConsoleClient ----

  async status(): Promise<DaemonStatus> {
    this.enter("status");
    return DaemonStatus.parse({
      pid: this.pid,
      version: "0.1.0",
      startedAt: this.startedAt,
      home: "/tmp/rescue-home",
      server: BASE_URL,
      technician: TECHNICIAN,
      backend: { state: this.backend, since: this.startedAt },
    });
  }

  async *events(since: number, signal: AbortSignal): AsyncIterable<DaemonEvent> {
    this.enter(`events since=${since}`);
    let next = since + 1;
    const startedAt = this.startedAt;
    while (!signal.aborted) {
      if (!this.running || startedAt !== this.startedAt) throw unavailable();
      const event = this.buffer.find((e) => e.id >= next);
      if (event) {
        next = event.id + 1;
        yield event;
        continue;
      }
      await new Promise<void>((resolve) => {
        this.wake.add(resolve);
        signal.addEventListener("abort", () => resolve(), { once: true });
      });
    }
  }

  async listSessions(): Promise<Session[]> {
    this.enter("listSessions");
    return [...this.sessions.values()];
  }

  async createSession(req: CreateSessionRequest): Promise<Session> {
    this.enter("createSession");
    const parsed = CreateSessionRequest.safeParse(req);
    if (!parsed.success) throw new RescueError("bad_request", parsed.error.issues[0]?.message ?? "bad request");
    const r = parsed.data;
    if (r.method === "sms" && !/^\+\d{8,15}$/.test(r.to ?? "")) throw new RescueError("bad_request", `not a phone number: ${r.to}`);
    const s = this.newSession(r, new Date());
    this.sessions.set(s.id, s);
    this.logs.set(s.id, [
      SessionLogEntry.parse({ at: s.createdAt, event: "created", by: TECHNICIAN }),
      SessionLogEntry.parse({ at: s.createdAt, event: "pin-issued", pin: s.pin }),
    ]);
    this.emit({ type: "session", session: s });
    return s;
  }

  async regeneratePin(id: string): Promise<Session> {
    this.enter(`regeneratePin ${id}`);
    const s = this.get(id);
    // As the server: only before a customer joined; a session that timed out so is Connecting again.
    const reopen = s.status === "timed-out" && !s.customer;
    if (s.status !== "connecting" && !reopen) throw new RescueError("conflict", "the customer has already joined");
    const pin = String(this.nextPin++);
    const next = Session.parse({ ...s, pin, links: links(pin), ...(reopen ? { status: "connecting", statusSince: new Date().toISOString() } : {}) });
    this.sessions.set(id, next);
    this.addLog(id, "pin-issued", { pin: next.pin });
    this.emit({ type: "session", session: next });
    return next;
  }

  async start(id: string, opts?: StartRequest): Promise<StartResponse> {
    this.enter(`start ${id}`);
    const { record } = StartRequest.parse(opts ?? {});
    this.transition(id, ["waiting"], "active", {}, ["started"]);
    const recording = record ? `/tmp/rescue-home/recordings/${id}.webm` : undefined;
    const stats = this.currentStats(id);
    this.statsById.set(id, { ...stats, ...(recording ? { recording: { path: recording, bytes: 0 } } : {}) });
    return { id, status: "active", ...(recording ? { recording } : {}) };
  }

  async hold(id: string): Promise<Session> {
    this.enter(`hold ${id}`);
    return this.transition(id, ["active", "collaborating"], "on-hold", {}, ["held"]);
  }

  async resume(id: string): Promise<Session> {
    this.enter(`resume ${id}`);
    return this.transition(id, ["on-hold"], "active", {}, ["resumed"]);
  }

  async end(id: string): Promise<Session> {
    this.enter(`end ${id}`);
    return this.transition(id, LIVE, "closed", { pin: null }, ["closed"]);
  }

  /** Sound the console keeps running now, as "speaker ID" / "mic ID". */
  readonly voices = new Set<string>();
  /** The next sound started fails at once with this reason (a missing sound device, say). */
  voiceFailure: string | null = null;

  voice(id: string, kind: VoiceKind): VoiceHandle {
    this.calls.push(`voice ${kind} ${id}`);
    const name = `${kind} ${id}`;
    const failure = this.voiceFailure;
    this.voiceFailure = null;
    if (failure) return { stop: () => undefined, done: Promise.resolve(failure) };
    this.voices.add(name);
    let end!: (reason: string | null) => void;
    const done = new Promise<string | null>((resolve) => (end = resolve));
    return {
      stop: () => {
        this.voices.delete(name);
        end(null);
      },
      done,
    };
  }

  async log(id: string): Promise<SessionLogEntry[]> {
    this.enter(`log ${id}`);
    this.get(id);
    return [...(this.logs.get(id) ?? [])];
  }

  async stats(id: string): Promise<SessionStats> {
    this.enter(`stats ${id}`);
    const s = this.get(id);
    if (!MEDIA.includes(s.status)) throw new RescueError("conflict", `session ${id} has no media (${s.status})`);
    return this.currentStats(id);
  }

  /** The bundled clip's VP8 as the daemon streams it (IVF), for sessions with media. */
  async videoStream(id: string): Promise<VideoSource> {
    this.enter(`video ${id}`);
    const s = this.get(id);
    if (!MEDIA.includes(s.status)) throw new RescueError("conflict", `session ${id} has no media connection`);
    const body = createReadStream(bundledClip().video);
    return { format: "ivf", body, close: () => body.destroy() };
  }

  async chat(id: string, text: string): Promise<ChatMessage> {
    this.enter(`chat ${id}`);
    const { text: clean } = ChatRequest.parse({ text });
    const s = this.get(id);
    if (!LIVE.includes(s.status)) throw new RescueError("conflict", `session ${id} is ${s.status}`);
    const message = ChatMessage.parse({ sessionId: id, from: "technician", author: TECHNICIAN, text: clean, at: new Date().toISOString() });
    this.addLog(id, "chat", { text: clean });
    this.emit({ type: "chat", message });
    return message;
  }

  async mute(id: string): Promise<void> {
    this.enter(`mute ${id}`);
    this.setMuted(id, true);
  }

  async unmute(id: string): Promise<void> {
    this.enter(`unmute ${id}`);
    this.setMuted(id, false);
  }

  async invite(id: string, req: InviteRequest): Promise<InviteResponse> {
    this.enter(`invite ${id}`);
    const parsed = InviteRequest.safeParse(req);
    if (!parsed.success) throw new RescueError("bad_request", parsed.error.issues[0]?.message ?? "bad request");
    const r = parsed.data;
    const s = this.get(id);
    if (!INVITABLE.includes(s.status)) throw new RescueError("conflict", `technicians can be invited only into an Active session (session is ${s.status})`);
    if (r.kind === "internal") {
      if (r.to === TECHNICIAN) throw new RescueError("bad_request", "you lead this session already");
      if (!COLLEAGUES[r.to!]) throw new RescueError("not_found", `no technician ${r.to} in your organisation; invite them as an external technician`);
    }
    const now = new Date();
    const pin = String(this.nextPin++);
    const invitation = Invitation.parse({
      id: `i${this.nextInvitation++}`,
      sessionId: id,
      sessionName: s.name,
      from: TECHNICIAN,
      kind: r.kind,
      via: r.via,
      approved: false,
      to: r.to ?? null,
      permissions: r.permissions,
      comment: r.comment ?? null,
      status: "pending",
      pin,
      expiresAt: new Date(now.getTime() + 20 * 60_000).toISOString(),
      createdAt: now.toISOString(),
    });
    this.invitations.set(invitation.id, invitation);
    this.addLog(id, "invited", { invitation: invitation.id, kind: r.kind, via: r.via, permissions: r.permissions, pin });
    return InviteResponse.parse({ invitation, pin, ...(r.kind === "external" ? { link: `${BASE_URL}/collaborate/${pin}` } : {}) });
  }

  async join(pin: string): Promise<Omit<JoinResponse, "token">> {
    this.enter(`join ${pin}`);
    const parsed = JoinRequest.safeParse({ pin });
    if (!parsed.success) throw new RescueError("bad_request", parsed.error.issues[0]?.message ?? "bad request");
    const inv = [...this.invitations.values()].find((i) => i.pin === pin && i.to === TECHNICIAN && i.status === "pending");
    if (!inv) throw new RescueError("not_found", "no pending invitation with that PIN");
    const joined = Invitation.parse({ ...inv, status: "joined", pin: null });
    this.invitations.set(inv.id, joined);
    const at = new Date();
    const lead = this.newSession({ method: "pin", name: inv.sessionName }, at);
    const collaborator = { id: inv.id, technician: TECHNICIAN, external: false, permissions: inv.permissions, joinedAt: at.toISOString() };
    const session = Session.parse({ ...lead, id: inv.sessionId, technician: inv.from, status: "collaborating", pin: null, links: null, collaborators: [collaborator] });
    this.sessions.set(session.id, session);
    this.emit({ type: "session", session });
    return JoinResponse.omit({ token: true }).parse({ invitation: joined, session, as: TECHNICIAN });
  }

  /** Lens actions the console sent, parsed as the daemon's route parses them, in order. */
  readonly lensActions: Array<{ id: string; action: LensAction }> = [];

  async lens(id: string, action: LensActionInput): Promise<LensResult> {
    this.enter(`lens ${id}`);
    const parsed = LensAction.safeParse(action);
    if (!parsed.success) throw new RescueError("bad_request", parsed.error.issues[0]?.message ?? "bad request");
    const s = this.get(id);
    if (s.status !== "active" && s.status !== "collaborating") throw new RescueError("conflict", `Lens tools work while the session runs; session ${id} is ${s.status}`);
    this.lensActions.push({ id, action: parsed.data });
    this.addLog(id, parsed.data.action === "freeze" || parsed.data.action === "unfreeze" ? parsed.data.action : "annotation", {});
    return { sessionId: id, action: parsed.data.action, delivery: s.technician === TECHNICIAN ? "lead" : "relayed" };
  }

  async transfer(id: string, to: string): Promise<Session> {
    this.enter(`transfer ${id}`);
    const parsed = TransferRequest.safeParse({ to });
    if (!parsed.success) throw new RescueError("bad_request", parsed.error.issues[0]?.message ?? "bad request");
    const s = this.get(id);
    if (!TRANSFERABLE.includes(s.status)) throw new RescueError("conflict", `a session that is ${s.status} cannot be transferred`);
    const target = COLLEAGUES[to];
    if (to === TECHNICIAN) throw new RescueError("bad_request", "you already hold this session");
    if (!target) throw new RescueError("forbidden", `sessions cannot be transferred to external technicians: ${to} is not a technician of your organisation`);
    if (!target.online) throw new RescueError("conflict", `${to} is not online: a transfer needs their connected console or daemon`);
    const next = Session.parse({ ...s, technician: to, collaborators: (s.collaborators ?? []).filter((c) => c.technician !== to) });
    this.sessions.set(id, next);
    this.addLog(id, "transferred", { from: TECHNICIAN, to });
    this.emit({ type: "session", session: next });
    return next;
  }

  /** The lead changes what a collaborator (by id or email) may do, as the server allows it: the lead only. */
  async setCollaborator(id: string, collaborator: string, permissions: CollaboratorPermission[]): Promise<Session> {
    this.enter(`setCollaborator ${id} ${collaborator} ${permissions.join(",")}`);
    const s = this.leadOnly(id, "change a collaborator's permissions");
    const c = this.collaboratorOf(s, collaborator);
    const next = Session.parse({ ...s, collaborators: s.collaborators!.map((x) => (x.id === c.id ? { ...x, permissions } : x)) });
    this.sessions.set(id, next);
    this.emit({ type: "session", session: next });
    return next;
  }

  /** The lead removes a collaborator; the last one gone, a Collaborating session is Active again. */
  async removeCollaborator(id: string, collaborator: string): Promise<Session> {
    this.enter(`removeCollaborator ${id} ${collaborator}`);
    const s = this.leadOnly(id, "remove collaborators");
    const c = this.collaboratorOf(s, collaborator);
    const rest = s.collaborators!.filter((x) => x.id !== c.id);
    const next = Session.parse({ ...s, collaborators: rest, ...(rest.length === 0 && s.status === "collaborating" ? { status: "active", statusSince: new Date().toISOString() } : {}) });
    this.sessions.set(id, next);
    this.emit({ type: "session", session: next });
    return next;
  }

  /** Files played to customers, as the daemon read them: session, path and Opus packets. */
  readonly talked: Array<{ id: string; packets: number }> = [];

  /** The console's file talk: the real conversion (ffmpeg) and an Ogg/Opus reader standing for the daemon's. */
  talkFile(id: string, file: string): Promise<string> {
    this.enter(`talkFile ${id}`);
    const talk = async (sessionId: string, audioPath: string) => {
      const s = this.get(sessionId);
      if (!MEDIA.includes(s.status)) throw new RescueError("conflict", `session ${sessionId} has no media connection`);
      const me = s.collaborators?.find((c) => c.technician === TECHNICIAN);
      if (s.technician !== TECHNICIAN && !me?.permissions.includes("talk")) throw new RescueError("forbidden", "the lead technician has not given you the permission: talk");
      this.talked.push({ id: sessionId, packets: readOggOpus(audioPath).packets.length });
    };
    // ffmpeg's own lines are not kept here (the profile's log in the real console).
    return playAudioFile(process.env, { talk }, id, file, "/dev/null", file);
  }

  private recordingsById = new Map<string, RecordingDetail[]>();

  /** A recording of `id` at `path` (a real file), with an optional manifest; `live` while it is written. */
  addRecording(id: string, detail: Omit<RecordingDetail, "session">): void {
    const list = this.recordingsById.get(id) ?? [];
    list.push(RecordingDetail.parse({ session: id, ...detail }));
    this.recordingsById.set(id, list);
  }

  async showRecordings(ref: string): Promise<RecordingDetail[]> {
    this.enter(`showRecordings ${ref}`);
    const list = this.recordingsById.get(ref) ?? [];
    if (list.length === 0) throw new RescueError("not_found", `no recording ${ref} (rescue recordings list shows them)`);
    return list;
  }

  /** As the daemon: refuses a recording being written and anything that is not a plain file. */
  async deleteRecordings(ref: string): Promise<string[]> {
    this.enter(`deleteRecordings ${ref}`);
    const list = await this.showRecordings(ref);
    const live = list.find((r) => r.live);
    if (live) throw new RescueError("conflict", `${live.path} is being recorded now: end session ${ref} first`);
    for (const r of list) if (!lstatSync(r.path).isFile()) throw new RescueError("forbidden", `${r.path} is not a plain file (a symlink?): not touched`);
    for (const r of list) unlinkSync(r.path);
    this.recordingsById.delete(ref);
    return list.map((r) => r.path);
  }

  /** Invitations the console created, for tests to let the invitee join. */
  invitationsOf(id: string): Invitation[] {
    return [...this.invitations.values()].filter((i) => i.sessionId === id);
  }

  // ---- inside ----

  private enter(call: string): void {
    this.calls.push(call);
    if (!this.running) throw unavailable();
    const method = call.split(" ")[0]!;
    const failure = this.failNext.get(method);
    if (failure) {
      this.failNext.delete(method);
      throw failure;
    }
  }

  private emit(body: Record<string, unknown>): void {
    const event = DaemonEvent.parse({ id: this.nextEventId, at: new Date().toISOString(), ...body });
    this.nextEventId += 1;
    this.buffer.push(event);
    this.wakeAll();
  }

  private wakeAll(): void {
    const waiting = [...this.wake];
    this.wake.clear();
    for (const resolve of waiting) resolve();
  }

  private leadOnly(id: string, what: string): Session {
    const s = this.get(id);
    if (s.technician !== TECHNICIAN) throw new RescueError("forbidden", `only the lead technician can ${what} (${s.technician} leads session ${id})`);
    return s;
  }

  private collaboratorOf(s: Session, ref: string) {
    const c = s.collaborators?.find((x) => x.id === ref || x.technician === ref);
    if (!c) throw new RescueError("not_found", `no collaborator ${ref} in session ${s.id}`);
    return c;
  }

  private get(id: string): Session {
    const s = this.sessions.get(id);
    if (!s) throw new RescueError("not_found", `no session ${id}`);
    return s;
  }

  private transition(id: string, from: string[], to: Session["status"], change: Partial<Session>, log: SessionLogEntry["event"][]): Session {
    const s = this.get(id);
    if (!from.includes(s.status)) throw new RescueError("conflict", `session ${id} is ${s.status}, not ${from.join(" or ")}`);
    const next = Session.parse({ ...s, ...change, status: to, statusSince: new Date().toISOString() });
    this.sessions.set(id, next);
    for (const event of log) this.addLog(id, event, {});
    this.emit({ type: "session", session: next });
    return next;
  }

  private addLog(id: string, event: SessionLogEntry["event"], fields: Record<string, unknown>): void {
    const list = this.logs.get(id) ?? [];
    list.push(SessionLogEntry.parse({ at: new Date().toISOString(), event, by: TECHNICIAN, ...fields }));
    this.logs.set(id, list);
  }

  private newSession(r: { type?: Session["type"]; name?: string; method: Session["method"]; to?: string }, at: Date): Session {
    const id = `s${this.nextSession++}`;
    const pin = String(this.nextPin++);
    const delivery =
      r.method === "sms" || r.method === "email" ? { channel: r.method, to: r.to ?? "", status: "sent" as const } : undefined;
    return Session.parse({
      id,
      name: r.name ?? "",
      type: r.type ?? "lens",
      mode: "view",
      status: "connecting",
      method: r.method,
      pin,
      expiresAt: new Date(at.getTime() + 20 * 60_000).toISOString(),
      links: links(pin),
      technician: TECHNICIAN,
      createdAt: at.toISOString(),
      statusSince: at.toISOString(),
      recordable: true,
      customer: null,
      ...(delivery ? { delivery } : {}),
    });
  }

  private currentStats(id: string): SessionStats {
    return (
      this.statsById.get(id) ??
      SessionStats.parse({
        video: { codec: null, width: null, height: null, frames: 0, fps: 0, bitrateKbps: 0, packetsLost: 0, packetsRecovered: 0 },
        audio: { codec: null, packets: 0, packetsLost: 0, sentPackets: 0, muted: false },
      })
    );
  }

  private setMuted(id: string, muted: boolean): void {
    const s = this.get(id);
    if (!MEDIA.includes(s.status)) throw new RescueError("conflict", `session ${id} has no media`);
    const stats = this.currentStats(id);
    this.statsById.set(id, { ...stats, audio: { ...stats.audio, muted } });
  }
}

function links(pin: string): Session["links"] {
  return { desktop: `${BASE_URL}/?code=${pin}`, mobile: `${BASE_URL}/m/${pin}`, pinEntry: `${BASE_URL}/pin` };
}

function unavailable(): RescueError {
  return new RescueError("unavailable", "daemon not running");
}

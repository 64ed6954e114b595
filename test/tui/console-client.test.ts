import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { consoleClient } from "../../src/cli/console-client.js";
import { DaemonClient } from "../../src/cli/daemon/client.js";
import {
  CollaboratorPatch,
  Invitation,
  InviteRequest,
  JoinRequest,
  LOCALAPI_VERSION,
  LOCALAPI_VERSION_HEADER,
  RecordingRef,
  RescueError,
  TalkRequest,
  TransferRequest,
} from "../../src/protocol/index.js";
import { readOggOpus } from "../../src/media/ogg-opus.js";
import { execFileSync } from "node:child_process";
import { session } from "./make.js";

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function body(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : null;
}

const collaborator = { id: "inv1", technician: "bob@example.com", external: false, permissions: ["view", "chat"], joinedAt: "2026-01-01T10:05:00.000Z" };

/**
 * The two local API routes the console's collaboration actions use, on a real unix socket,
 * answering as daemon/localapi/collaboration-routes.ts does: requests parsed with the protocol,
 * refusals as ErrorBody.
 */
async function localApi(): Promise<{ socket: string; seen: unknown[]; talked: number[] }> {
  const dir = mkdtempSync(join(tmpdir(), "rescue-console-client-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const socket = join(dir, "rescued.sock");
  const seen: unknown[] = [];
  const talked: number[] = [];
  const server = createServer(async (req, res) => {
    const send = (status: number, json: unknown) => {
      res.writeHead(status, { "content-type": "application/json", [LOCALAPI_VERSION_HEADER]: LOCALAPI_VERSION });
      res.end(JSON.stringify(json));
    };
    const json = await body(req);
    seen.push({ method: req.method, url: req.url, json });
    if (req.method === "POST" && req.url === "/api/v1/sessions/s1/invitations") {
      const r = InviteRequest.parse(json);
      const invitation = Invitation.parse({
        id: "inv1",
        sessionId: "s1",
        sessionName: "Bob",
        from: "ann@example.com",
        kind: r.kind,
        via: r.via,
        approved: false,
        to: r.to ?? null,
        permissions: r.permissions,
        comment: r.comment ?? null,
        status: "pending",
        pin: "551020",
        expiresAt: "2026-01-01T10:20:00.000Z",
        createdAt: "2026-01-01T10:00:00.000Z",
      });
      return send(201, { invitation, pin: "551020", link: "http://127.0.0.1:8080/collaborate/551020" });
    }
    if (req.method === "POST" && req.url === "/api/v1/join") {
      const { pin } = JoinRequest.parse(json);
      if (pin !== "551020") return send(404, new RescueError("not_found", "no pending invitation with that PIN").toBody());
      const invitation = Invitation.parse({
        id: "inv2",
        sessionId: "s7",
        sessionName: "Printer",
        from: "bob@example.com",
        kind: "internal",
        via: "email",
        approved: false,
        to: "ann@example.com",
        permissions: ["view", "chat"],
        comment: null,
        status: "joined",
        pin: null,
        expiresAt: "2026-01-01T10:20:00.000Z",
        createdAt: "2026-01-01T10:00:00.000Z",
      });
      return send(200, { invitation, session: session("s7", "collaborating", { technician: "bob@example.com" }), as: "ann@example.com" });
    }
    if (req.method === "POST" && req.url === "/api/v1/sessions/s1/transfer") {
      const { to } = TransferRequest.parse(json);
      if (to !== "bob@example.com") return send(409, new RescueError("conflict", `${to} is not online`).toBody());
      return send(200, session("s1", "active", { technician: to }));
    }
    // The session tools: collaborators (the lead is ann@example.com of s1; s7 is led by bob), talk, recordings.
    const patch = /^\/api\/v1\/sessions\/(s1|s7)\/collaborators\/([^/]+)(\/remove)?$/.exec(req.url ?? "");
    if (patch) {
      if (patch[1] === "s7") return send(403, new RescueError("forbidden", "only the lead technician manages collaborators").toBody());
      if (decodeURIComponent(patch[2]!) !== "inv1") return send(404, new RescueError("not_found", "no such collaborator").toBody());
      if (req.method === "PATCH") {
        const { permissions } = CollaboratorPatch.parse(json);
        return send(200, session("s1", "collaborating", { collaborators: [{ ...collaborator, permissions }] }));
      }
      if (req.method === "POST" && patch[3]) return send(200, session("s1", "active", { collaborators: [] }));
    }
    if (req.method === "POST" && req.url === "/api/v1/sessions/s1/talk") {
      // As the daemon: the file is read before the answer, and must be Ogg/Opus.
      const { audioPath } = TalkRequest.parse(json);
      talked.push(readOggOpus(audioPath).packets.length);
      return send(200, { playing: audioPath });
    }
    if (req.method === "GET" && req.url === "/api/v1/recordings/show?ref=s1") {
      return send(200, [{ session: "s1", path: "/r/s1.webm", bytes: 10, durationMs: 1000, live: false, manifest: null }]);
    }
    if (req.method === "POST" && req.url === "/api/v1/recordings/delete") {
      const { ref } = RecordingRef.parse(json);
      if (ref !== "s1") return send(404, new RescueError("not_found", `no recording ${ref}`).toBody());
      return send(200, { deleted: ["/r/s1.webm", "/r/s1.json"] });
    }
    send(404, new RescueError("not_found", "no route").toBody());
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { socket, seen, talked };
}

describe("console client over the local API", () => {
  it("joins by PIN through the daemon, relaying a refusal", async () => {
    const { socket, seen } = await localApi();
    const client = consoleClient(new DaemonClient(socket), process.env, join(dirname(socket), "rescued.log"));
    const out = await client.join("551020");
    expect(out).toMatchObject({ as: "ann@example.com", invitation: { id: "inv2", status: "joined" }, session: { id: "s7", status: "collaborating" } });
    await expect(client.join("000000")).rejects.toMatchObject({ code: "not_found", message: "no pending invitation with that PIN" });
    expect(seen).toEqual([
      { method: "POST", url: "/api/v1/join", json: { pin: "551020" } },
      { method: "POST", url: "/api/v1/join", json: { pin: "000000" } },
    ]);
  });

  it("invites and transfers through the daemon's routes, parsing answers and relaying refusals", async () => {
    const { socket, seen } = await localApi();
    const client = consoleClient(new DaemonClient(socket), process.env, join(dirname(socket), "rescued.log"));
    const out = await client.invite("s1", { kind: "external", via: "link", permissions: ["view"], comment: "hi" });
    expect(out.invitation).toMatchObject({ kind: "external", via: "link", permissions: ["view"], comment: "hi" });
    expect(out.link).toBe("http://127.0.0.1:8080/collaborate/551020");
    const moved = await client.transfer("s1", "bob@example.com");
    expect(moved.technician).toBe("bob@example.com");
    const refused = await client.transfer("s1", "carol@example.com").catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RescueError);
    expect(refused).toMatchObject({ code: "conflict", message: "carol@example.com is not online" });
    expect(seen).toEqual([
      { method: "POST", url: "/api/v1/sessions/s1/invitations", json: { kind: "external", via: "link", permissions: ["view"], comment: "hi" } },
      { method: "POST", url: "/api/v1/sessions/s1/transfer", json: { to: "bob@example.com" } },
      { method: "POST", url: "/api/v1/sessions/s1/transfer", json: { to: "carol@example.com" } },
    ]);
  });

  it("changes and removes collaborators through the daemon's routes, relaying a refusal to a non-lead", async () => {
    const { socket, seen } = await localApi();
    const client = consoleClient(new DaemonClient(socket), process.env, join(dirname(socket), "rescued.log"));
    const changed = await client.setCollaborator("s1", "inv1", ["view", "chat", "talk"]);
    expect(changed.collaborators?.[0]?.permissions).toEqual(["view", "chat", "talk"]);
    const removed = await client.removeCollaborator("s1", "inv1");
    expect(removed).toMatchObject({ status: "active", collaborators: [] });
    await expect(client.setCollaborator("s7", "ann@example.com", ["view"])).rejects.toMatchObject({ code: "forbidden", message: "only the lead technician manages collaborators" });
    expect(seen.slice(0, 2)).toEqual([
      { method: "PATCH", url: "/api/v1/sessions/s1/collaborators/inv1", json: { permissions: ["view", "chat", "talk"] } },
      { method: "POST", url: "/api/v1/sessions/s1/collaborators/inv1/remove", json: null },
    ]);
  });

  it("plays a WAV as Ogg/Opus, and shows and deletes a session's recordings", async () => {
    const { socket, seen, talked } = await localApi();
    const client = consoleClient(new DaemonClient(socket), process.env, join(dirname(socket), "rescued.log"));
    const dir = mkdtempSync(join(tmpdir(), "rescue-console-talk-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const wav = join(dir, "hello.wav");
    execFileSync("ffmpeg", ["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "1", wav]);
    expect(await client.talkFile("s1", wav)).toBe(wav);
    // The converted copy went to the daemon (a second of 20 ms packets) and is gone again.
    expect(talked[0]).toBeGreaterThanOrEqual(45);
    const sent = (seen.find((r) => (r as { url: string }).url === "/api/v1/sessions/s1/talk") as { json: { audioPath: string } }).json.audioPath;
    expect(sent).not.toBe(wav);
    expect(existsSync(sent)).toBe(false);
    expect((await client.showRecordings("s1")).map((r) => r.path)).toEqual(["/r/s1.webm"]);
    expect(await client.deleteRecordings("s1")).toEqual(["/r/s1.webm", "/r/s1.json"]);
    await expect(client.deleteRecordings("s2")).rejects.toMatchObject({ code: "not_found" });
  }, 30_000);

  it("reports a daemon that is not running as unavailable", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rescue-console-client-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const client = consoleClient(new DaemonClient(join(dir, "rescued.sock")), process.env, join(dir, "rescued.log"));
    await expect(client.invite("s1", { kind: "internal", to: "bob@example.com" })).rejects.toMatchObject({ code: "unavailable" });
    await expect(client.transfer("s1", "bob@example.com")).rejects.toMatchObject({ code: "unavailable" });
  });
});

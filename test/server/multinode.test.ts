import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PERMISSIONS, type Permission } from "../../src/protocol/index.js";
import { MIGRATIONS } from "../../src/server/store/migrations.js";
import { buildDist } from "../helpers/build.js";
import { runServerCli, startServerNode, type ServerNode } from "../helpers/nodes.js";
import { startPostgres, type TestPostgres } from "../helpers/postgres.js";
import { openWs, type WsProbe } from "../helpers/server.js";

/**
 * Three `rescue-server` processes on one PostgreSQL database, the rules' edge cases fired at
 * different nodes at once. Each node has its own in-process queue: only a lock held in the
 * database keeps the rules here.
 */
describe("several nodes on one PostgreSQL database", () => {
  let pg: TestPostgres;
  let database: string;
  let password: string;
  let tmp: string;
  const nodes: ServerNode[] = [];
  const sockets: WsProbe[] = [];
  let adminToken: string;
  let counter = 0;

  beforeAll(async () => {
    [pg] = await Promise.all([startPostgres(), buildDist()]);
    database = await pg.database();
    password = decodeURIComponent(new URL(database).password);
    tmp = mkdtempSync(join(tmpdir(), "rescue-multinode-"));
    // Rate limits are per node until they move to a shared engine: raised so they stay out of the way.
    const limits = join(tmp, "limits.json");
    writeFileSync(limits, JSON.stringify({ sessions: { createRate: { burst: 1000, windowMs: 60_000 } } }), { mode: 0o600 });
    const init = await runServerCli(["init", "--admin-email", "boss@example.test", "--json"], { RESCUE_DATABASE_URL: database });
    expect(init.code, init.stderr).toBe(0);
    const admin = JSON.parse(init.stdout) as { email: string; password: string };
    // One node takes the URL as a flag, the others from the environment; the first has a data folder too.
    nodes.push(
      ...(await Promise.all([
        startServerNode(["--database", database, "--data", join(tmp, "node-a"), "--limits", limits]),
        startServerNode(["--limits", limits], { RESCUE_DATABASE_URL: database }),
        startServerNode(["--limits", limits, "--log-level", "debug"], { RESCUE_DATABASE_URL: database }),
      ])),
    );
    adminToken = await login(nodes[1]!, admin.email, admin.password);
  }, 600_000);

  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await Promise.all(nodes.map((n) => n.stop()));
    await pg?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }, 60_000);

  async function api(node: ServerNode, method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; body: any }> {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(node.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  async function login(node: ServerNode, email: string, pw: string): Promise<string> {
    const res = await api(node, "POST", "/api/v1/auth/login", undefined, { email, password: pw });
    if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.token;
  }

  /** A technician in a fresh group (made on node 0, logged in on node 2). */
  async function technician(permissions: readonly Permission[], maxTechnicians = 5): Promise<{ email: string; token: string; group: string }> {
    const n = ++counter;
    const group = `group-${n}`;
    expect((await api(nodes[0]!, "POST", "/api/v1/admin/groups", adminToken, { name: group, permissions, settings: { maxTechnicians } })).status).toBe(201);
    const added = await api(nodes[0]!, "POST", "/api/v1/admin/technicians", adminToken, { email: `tech-${n}@example.test`, group });
    expect(added.status).toBe(201);
    return { email: added.body.email, token: await login(nodes[2]!, added.body.email, added.body.password), group };
  }

  async function customerSocket(node: ServerNode): Promise<WsProbe> {
    const ws = await openWs(`${node.wsUrl}/api/v1/customer/ws`);
    sockets.push(ws);
    return ws;
  }

  /** A session of `token`'s technician made on `node`, its customer joined on another and Waiting. */
  async function waitingSession(token: string, type: "lens" | "desktop", node: number): Promise<string> {
    const created = await api(nodes[node % 3]!, "POST", "/api/v1/sessions", token, { type, method: "pin" });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const c = await customerSocket(nodes[(node + 1) % 3]!);
    c.send({ type: "join", pin: created.body.pin, name: "Customer" });
    await c.next("joined", 30_000);
    c.send({ type: "devices", camera: true, microphone: true });
    c.send({ type: "eula", accepted: true });
    for (;;) if ((await c.next("status", 30_000)).status === "waiting") return created.body.id;
  }

  /** The status codes of `requests` fired together. */
  async function together(requests: (() => Promise<{ status: number }>)[]): Promise<number[]> {
    return (await Promise.all(requests.map((r) => r()))).map((r) => r.status);
  }

  it("no node writes the database password; each says which store it uses", () => {
    for (const node of nodes) {
      expect(node.stderr()).not.toContain(password);
      expect(node.stderr()).toContain(`store: PostgreSQL postgres://rescue:***@127.0.0.1:${pg.port}/`);
    }
  });

  it("init, migrate and outbox take the database too; a second init is refused; a URL that is not PostgreSQL is a usage error that hides its password", async () => {
    const env = { RESCUE_DATABASE_URL: database };
    expect((await runServerCli(["init", "--json"], env)).code).toBe(1);
    const migrated = await runServerCli(["migrate", "--json", "--database", database]);
    expect(migrated.code, migrated.stderr).toBe(0);
    const result = JSON.parse(migrated.stdout);
    expect(result).toMatchObject({ engine: "postgres", applied: [] });
    expect(result.migrations.map((m: { id: number }) => m.id)).toEqual(MIGRATIONS.map((m) => m.id));
    const empty = await pg.database();
    const fresh = JSON.parse((await runServerCli(["migrate", "--json"], { RESCUE_DATABASE_URL: empty })).stdout);
    expect(fresh.applied).toEqual(MIGRATIONS.map((m) => m.id));
    const outbox = await runServerCli(["outbox", "--json"], env);
    expect(outbox.code).toBe(0);
    expect(Array.isArray(JSON.parse(outbox.stdout))).toBe(true);
    const bad = await runServerCli(["start", "--database", "mysql://rescue:s3cret-word@db.internal/rescue"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("postgres://");
    expect(bad.stderr).not.toContain("s3cret-word");
    const help = await runServerCli(["start", "--help"]);
    expect(help.stdout).toContain("RESCUE_DATABASE_URL");
    expect(help.stdout).toContain("--database <url>");
  }, 300_000);

  it("one Lens session per technician: Starts of three Lens sessions on three nodes at once, one wins, in every round", async () => {
    const tech = await technician(["lens", "private", "pin"]);
    for (let round = 0; round < 3; round++) {
      const ids = await Promise.all([0, 1, 2].map((n) => waitingSession(tech.token, "lens", n)));
      const codes = await together(ids.map((id, n) => () => api(nodes[n]!, "POST", `/api/v1/sessions/${id}/start`, tech.token)));
      expect(codes.sort()).toEqual([200, 403, 403]);
      const active = (await api(nodes[round % 3]!, "GET", "/api/v1/sessions?status=active", tech.token)).body as { id: string; type: string }[];
      expect(active.filter((s) => s.type === "lens")).toHaveLength(1);
      for (const id of ids) await api(nodes[0]!, "POST", `/api/v1/sessions/${id}/end`, tech.token);
    }
  }, 300_000);

  it("ten active sessions per technician: with eight active, three Starts on three nodes at once, two win, in every round", async () => {
    const tech = await technician(["private", "pin"]);
    const start = (id: string, i: number) => () => api(nodes[i % 3]!, "POST", `/api/v1/sessions/${id}/start`, tech.token);
    const first: string[] = [];
    for (let i = 0; i < 8; i++) first.push(await waitingSession(tech.token, "desktop", i));
    // Eight fit under the limit whatever their order.
    expect(await together(first.map(start))).toEqual(Array(8).fill(200));
    for (let round = 0; round < 3; round++) {
      const edge = await Promise.all([0, 1, 2].map((n) => waitingSession(tech.token, "desktop", n + round)));
      const codes = await together(edge.map(start));
      expect([...codes].sort()).toEqual([200, 200, 403]);
      const active = (await api(nodes[round % 3]!, "GET", "/api/v1/sessions?status=active", tech.token)).body as unknown[];
      expect(active).toHaveLength(10);
      for (const id of edge) expect((await api(nodes[1]!, "POST", `/api/v1/sessions/${id}/end`, tech.token)).status).toBe(200);
    }
  }, 300_000);

  it("one customer per PIN: two customers join with one PIN on two nodes at once, one gets in, in every round", async () => {
    const tech = await technician(["lens", "private", "pin"]);
    for (let round = 0; round < 4; round++) {
      const created = await api(nodes[round % 3]!, "POST", "/api/v1/sessions", tech.token, { type: "lens", method: "pin" });
      const pair = await Promise.all([customerSocket(nodes[round % 3]!), customerSocket(nodes[(round + 1) % 3]!)]);
      for (const c of pair) c.send({ type: "join", pin: created.body.pin, name: "Customer" });
      const outcomes = await Promise.all(
        pair.map((c) =>
          Promise.race([
            c.next("joined", 60_000).then(() => "joined"),
            c.closed.then(({ code }) => `closed ${code}`),
          ]),
        ),
      );
      expect(outcomes.sort()).toEqual(["closed 4404", "joined"]);
      const log = (await api(nodes[2]!, "GET", `/api/v1/sessions/${created.body.id}/log`, tech.token)).body as { event: string }[];
      expect(log.filter((e) => e.event === "customer-connected")).toHaveLength(1);
    }
  }, 300_000);

  it("at most five technicians in a session: five invitees join on three nodes at once, four get in", async () => {
    const lead = await technician(PERMISSIONS, 6);
    const invitees = await Promise.all([1, 2, 3, 4, 5].map(() => technician(["pin"])));
    const id = await waitingSession(lead.token, "lens", 0);
    expect((await api(nodes[1]!, "POST", `/api/v1/sessions/${id}/start`, lead.token)).status).toBe(200);
    const pins: string[] = [];
    for (const [i, t] of invitees.entries()) {
      const invited = await api(nodes[i % 3]!, "POST", `/api/v1/sessions/${id}/invitations`, lead.token, { kind: "internal", to: t.email });
      expect(invited.status, JSON.stringify(invited.body)).toBe(201);
      pins.push(invited.body.pin);
    }
    // The group's limit drops to five while five invitations are pending: the sixth technician must stay out.
    expect((await api(nodes[2]!, "PATCH", `/api/v1/admin/groups/${lead.group}`, adminToken, { settings: { maxTechnicians: 5 } })).status).toBe(200);
    const codes = await together(invitees.map((t, i) => () => api(nodes[i % 3]!, "POST", "/api/v1/invitations/join", t.token, { pin: pins[i] })));
    expect(codes.filter((c) => c === 200)).toHaveLength(4);
    expect(codes.filter((c) => c === 403)).toHaveLength(1);
    const session = (await api(nodes[0]!, "GET", `/api/v1/sessions/${id}`, lead.token)).body as { collaborators?: unknown[] };
    expect(session.collaborators).toHaveLength(4);
  }, 300_000);

  // Last in the file: it disables the admin whose token the tests above use.
  it("two admins disabling each other on two nodes at once: one wins, one administrator always remains; a forced removal ends the live session", async () => {
    const admins: { email: string; token: string }[] = [];
    for (let i = 0; i < 2; i++) {
      const added = await api(nodes[0]!, "POST", "/api/v1/admin/technicians", adminToken, { email: `admin-${i}@example.test`, group: "Administrators", admin: true });
      expect(added.status, JSON.stringify(added.body)).toBe(201);
      admins.push({ email: added.body.email, token: await login(nodes[i]!, added.body.email, added.body.password) });
    }
    const [a, b] = admins as [{ email: string; token: string }, { email: string; token: string }];
    const lead = await technician(["lens", "private", "pin"]);
    const live = await waitingSession(lead.token, "lens", 0);
    expect((await api(nodes[1]!, "DELETE", `/api/v1/admin/technicians/${encodeURIComponent(lead.email)}`, a.token)).status).toBe(409);
    const forced = await api(nodes[2]!, "DELETE", `/api/v1/admin/technicians/${encodeURIComponent(lead.email)}?force=true`, a.token);
    expect(forced.status, JSON.stringify(forced.body)).toBe(200);
    expect(forced.body.endedSessions).toEqual([live]);
    expect((await api(nodes[0]!, "GET", "/api/v1/me", lead.token)).status).toBe(401);

    expect((await api(nodes[2]!, "PATCH", "/api/v1/admin/technicians/boss%40example.test", a.token, { disabled: true })).status).toBe(200);
    const codes = await together([
      () => api(nodes[0]!, "PATCH", `/api/v1/admin/technicians/${encodeURIComponent(b.email)}`, a.token, { disabled: true }),
      () => api(nodes[1]!, "PATCH", `/api/v1/admin/technicians/${encodeURIComponent(a.email)}`, b.token, { disabled: true }),
    ]);
    expect(codes.sort()).toEqual([200, 409]);
    const answers = await Promise.all([a, b].map((x) => api(nodes[2]!, "GET", "/api/v1/me", x.token)));
    expect(answers.map((r) => r.status).sort()).toEqual([200, 401]);
  }, 300_000);
});

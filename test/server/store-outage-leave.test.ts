import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDist } from "../helpers/build.js";
import { runServerCli, startServerNode, type ServerNode } from "../helpers/nodes.js";
import { startPostgres, type TestPostgres } from "../helpers/postgres.js";
import { openWs } from "../helpers/server.js";

/**
 * A customer who ends the session while the store (PostgreSQL) is down for a few seconds: the
 * leave is kept and written once the store is back, so the session ends as the customer ended it,
 * not two minutes later as a customer who never came back.
 */
describe("a customer's leave while the store is down", () => {
  let pg: TestPostgres;
  let node: ServerNode;
  let token: string;

  beforeAll(async () => {
    [pg] = await Promise.all([startPostgres(), buildDist()]);
    const database = await pg.database();
    const init = await runServerCli(["init", "--admin-email", "boss@example.test", "--json"], { RESCUE_DATABASE_URL: database });
    expect(init.code, init.stderr).toBe(0);
    const admin = JSON.parse(init.stdout) as { email: string; password: string };
    node = await startServerNode([], { RESCUE_DATABASE_URL: database });
    const adminToken = (await api("POST", "/api/v1/auth/login", undefined, admin)).body.token as string;
    expect((await api("POST", "/api/v1/admin/groups", adminToken, { name: "Support", permissions: ["lens", "private", "pin"] })).status).toBe(201);
    const tech = (await api("POST", "/api/v1/admin/technicians", adminToken, { email: "tech@example.test", group: "Support" })).body;
    token = (await api("POST", "/api/v1/auth/login", undefined, { email: tech.email, password: tech.password })).body.token;
  }, 300_000);

  afterAll(async () => {
    await node?.stop();
    await pg?.stop();
  }, 60_000);

  async function api(method: string, path: string, bearer?: string, body?: unknown): Promise<{ status: number; body: any }> {
    const headers: Record<string, string> = {};
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(node.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  it("is written when the store is back: the session is aborted as the customer ended it", async () => {
    const created = await api("POST", "/api/v1/sessions", token, { type: "lens", method: "pin" });
    expect(created.status).toBe(201);
    const { id, pin } = created.body as { id: string; pin: string };
    const customer = await openWs(`${node.wsUrl}/api/v1/customer/ws`);
    customer.send({ type: "join", pin, name: "Ann" });
    await customer.next("joined");

    await pg.pause();
    try {
      customer.send({ type: "leave" });
      await customer.closed;
      await new Promise((r) => setTimeout(r, 3000));
    } finally {
      await pg.resume();
    }
    let session: { status: string } | undefined;
    await expect.poll(async () => (session = (await api("GET", `/api/v1/sessions/${id}`, token)).body).status, { timeout: 30_000, interval: 500 }).toBe("aborted");
    const log = (await api("GET", `/api/v1/sessions/${id}/log`, token)).body as { event: string; reason?: string }[];
    expect(log.find((e) => e.event === "aborted")?.reason, JSON.stringify(log)).toBe("the customer ended the session");
    expect(node.stderr()).toMatch(/marking customer left failed: trying again/);
    expect(session!.status).toBe("aborted");
  }, 120_000);
});

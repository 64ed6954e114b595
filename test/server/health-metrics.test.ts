import Fastify, { type FastifyInstance } from "fastify";
import { describe, expect, it } from "vitest";
import { healthRoutes, Readiness } from "../../src/server/health.js";
import { customerReady, openCustomerWs, openTechnicianWs, serverPerTest } from "../helpers/server.js";

const each = serverPerTest();

/** One sample of a Prometheus text exposition: `name{labels} value`, labels in any order. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

async function scrape(metricsUrl: string): Promise<string> {
  const res = await fetch(`${metricsUrl}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

describe("/healthz, /readyz and /metrics", () => {
  it("health and readiness answer without a token on the public port; /metrics is only on the metrics listener", async () => {
    const server = await each.start({ metrics: { port: 0 } });
    const health = await server.api("GET", "/healthz");
    expect(health).toEqual({ status: 200, body: { status: "ok" } });
    const ready = await server.api("GET", "/readyz");
    expect(ready).toEqual({ status: 200, body: { status: "ok", checks: { store: "ok" } } });

    // The attack: an anonymous scrape of the public port, with or without a made-up token.
    expect((await server.api("GET", "/metrics")).status).toBe(404);
    expect((await server.api("GET", "/metrics", { token: server.admin.token })).status).toBe(404);
    expect((await server.api("GET", "/metrics", { headers: { authorization: "Bearer anything" } })).status).toBe(404);

    const metricsUrl = server.metricsUrl!;
    expect(new URL(metricsUrl).hostname).toBe("127.0.0.1");
    expect((await fetch(`${metricsUrl}/healthz`)).status).toBe(200);
    const text = await scrape(metricsUrl);
    expect(text).toContain("# TYPE rescue_sessions gauge");
    expect(text).toContain("# TYPE rescue_http_request_duration_seconds histogram");
    expect(sample(text, "rescue_process_resident_memory_bytes")).toBeGreaterThan(0);
  });

  it("without --metrics-port there is no metrics listener and no /metrics anywhere", async () => {
    const server = await each.start();
    expect(server.metricsUrl).toBeUndefined();
    expect((await server.api("GET", "/metrics")).status).toBe(404);
  });

  it("the numbers move with sessions, PIN checks, sockets, deliveries and requests", async () => {
    const server = await each.start({ metrics: { port: 0 }, limits: { pins: { perSource: { burst: 2, windowMs: 60_000 } } } });
    const metricsUrl = server.metricsUrl!;
    const tech = await server.technician(["lens", "private", "pin", "sms"]);
    const at = async () => scrape(metricsUrl);

    const start = await at();
    expect(sample(start, "rescue_sessions", { status: "waiting" })).toBe(0);
    expect(sample(start, "rescue_websocket_connections", { role: "customer" })).toBe(0);
    expect(sample(start, "rescue_pin_checks_total", { result: "wrong" })).toBe(0);
    expect(sample(start, "rescue_customer_join_duration_seconds_count")).toBe(0);

    const technicianWs = each.keep(await openTechnicianWs(server, tech.token));
    const created = await server.api("POST", "/api/v1/sessions", { token: tech.token, body: { method: "pin" } });
    expect(created.status).toBe(201);
    const sms = await server.api("POST", "/api/v1/sessions", { token: tech.token, body: { method: "sms", to: "+31612345678" } });
    expect(sms.status).toBe(201);

    // Two wrong PINs, then one refused before any lookup, all from one address.
    for (let i = 0; i < 3; i++) {
      const guesser = each.keep(await openCustomerWs(server, { localAddress: "127.0.0.3" }));
      guesser.send({ type: "join", pin: created.body.pin === "000000" ? "000001" : "000000" });
      await guesser.closed;
    }
    const customer = each.keep(await customerReady(server, created.body.pin));
    // A customer page by its PIN: the histogram names the route pattern, never the PIN.
    expect((await fetch(`${server.url}/m/${created.body.pin}`)).status).toBe(200);

    const during = await at();
    expect(sample(during, "rescue_sessions", { status: "waiting" })).toBe(1);
    expect(sample(during, "rescue_sessions", { status: "connecting" })).toBe(1);
    expect(sample(during, "rescue_pin_checks_total", { result: "wrong" })).toBe(2);
    expect(sample(during, "rescue_pin_checks_total", { result: "throttled" })).toBe(1);
    expect(sample(during, "rescue_pin_checks_total", { result: "accepted" })).toBe(1);
    // Only the accepted join is timed, from its message's arrival to `joined`; the wrong ones are not.
    expect(sample(during, "rescue_customer_join_duration_seconds_count")).toBe(1);
    expect(sample(during, "rescue_customer_join_duration_seconds_sum")).toBeGreaterThan(0);
    expect(sample(during, "rescue_customer_join_duration_seconds_bucket", { le: "+Inf" })).toBe(1);
    expect(sample(during, "rescue_websocket_connections", { role: "customer" })).toBe(1);
    expect(sample(during, "rescue_websocket_connections", { role: "technician" })).toBe(1);
    expect(sample(during, "rescue_websocket_connections_opened_total", { role: "customer" })).toBe(4);
    expect(sample(during, "rescue_deliveries_total", { channel: "sms", result: "queued" })).toBe(1);
    expect(sample(during, "rescue_http_request_duration_seconds_count", { method: "POST", route: "/api/v1/sessions", status_code: "201" })).toBe(2);
    expect(sample(during, "rescue_http_request_duration_seconds_count", { method: "GET", route: "/m/:pin", status_code: "200" })).toBe(1);
    expect(during).not.toContain(created.body.pin);

    const ended = await server.api("POST", `/api/v1/sessions/${created.body.id}/end`, { token: tech.token });
    expect(ended.status).toBe(200);
    await customer.close();
    await technicianWs.close();
    // Closed sockets leave the gauges once the server has seen them go.
    const socketsOpen = (t: string) => sample(t, "rescue_websocket_connections", { role: "customer" })! + sample(t, "rescue_websocket_connections", { role: "technician" })!;
    let last = await at();
    for (const deadline = Date.now() + 20_000; socketsOpen(last) > 0 && Date.now() < deadline; last = await at()) await new Promise((r) => setTimeout(r, 200));
    expect(socketsOpen(last)).toBe(0);
    const after = await at();
    expect(sample(after, "rescue_sessions", { status: "waiting" })).toBe(0);
    expect(sample(after, "rescue_sessions", { status: "closed" })).toBe(1);
  }, 60_000);
});

describe("Readiness", () => {
  let app: FastifyInstance | undefined;

  it("answers 503 naming the check that failed or hung, and 200 again once it recovers", async () => {
    const readiness = new Readiness();
    let redisUp = false;
    readiness.add("store", async () => undefined);
    readiness.add("redis", async () => {
      if (!redisUp) throw new Error("connection refused");
    });
    app = Fastify();
    healthRoutes(app, readiness);
    const url = await app.listen({ host: "127.0.0.1", port: 0 });
    try {
      const down = await fetch(`${url}/readyz`);
      expect(down.status).toBe(503);
      expect(await down.json()).toEqual({ status: "unavailable", checks: { store: "ok", redis: "failed" } });
      expect((await fetch(`${url}/healthz`)).status).toBe(200);

      redisUp = true;
      const up = await fetch(`${url}/readyz`);
      expect(up.status).toBe(200);
      expect(await up.json()).toEqual({ status: "ok", checks: { store: "ok", redis: "ok" } });

      // A dependency that never answers fails the check in about two seconds instead of hanging the probe.
      readiness.add("redis", () => new Promise(() => undefined));
      const began = Date.now();
      const hung = await fetch(`${url}/readyz`);
      expect(hung.status).toBe(503);
      expect(Date.now() - began).toBeLessThan(15_000);
    } finally {
      await app.close();
    }
  }, 30_000);
});

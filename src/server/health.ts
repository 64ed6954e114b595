import type { FastifyInstance } from "fastify";
import type { Metrics } from "./metrics.js";

/** Resolves when the dependency answers; rejects (or takes longer than the timeout) when it does not. */
export type ReadinessCheck = () => Promise<void>;

const CHECK_TIMEOUT_MS = 2_000;

/**
 * What the server needs to serve requests (the store; Redis when configured), checked on every
 * GET /readyz. Parts that are added at start-up register themselves: `readiness.add("redis", ...)`.
 */
export class Readiness {
  private readonly checks = new Map<string, ReadinessCheck>();

  add(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  /** Runs every check at once; each gets CHECK_TIMEOUT_MS. Failure reasons stay in the log, not the answer. */
  async run(onFailure: (name: string, err: unknown) => void = () => undefined): Promise<{ ready: boolean; checks: Record<string, "ok" | "failed"> }> {
    const entries = await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            check(),
            new Promise((_, reject) => {
              timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
            }),
          ]);
          return [name, "ok"] as const;
        } catch (err) {
          onFailure(name, err);
          return [name, "failed"] as const;
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    return { ready: entries.every(([, state]) => state === "ok"), checks: Object.fromEntries(entries) };
  }
}

/**
 * GET /healthz (the process answers: 200 {"status":"ok"}) and GET /readyz (200 when every
 * readiness check passes, else 503, with {"status", "checks": {name: "ok"|"failed"}}). Both
 * unauthenticated: they say nothing beyond up or down.
 */
export function healthRoutes(app: FastifyInstance, readiness: Readiness): void {
  app.get("/healthz", async (_req, reply) => reply.header("cache-control", "no-store").send({ status: "ok" }));
  app.get("/readyz", async (req, reply) => {
    const { ready, checks } = await readiness.run((name, err) => req.log.warn({ check: name, err: err instanceof Error ? err.message : String(err) }, "readiness check failed"));
    return reply
      .code(ready ? 200 : 503)
      .header("cache-control", "no-store")
      .send({ status: ready ? "ok" : "unavailable", checks });
  });
}

/** GET /metrics in Prometheus' text format. Registered only on the metrics listener, never on the public port. */
export function metricsRoute(app: FastifyInstance, metrics: Metrics): void {
  app.get("/metrics", async (_req, reply) => {
    const { contentType, body } = await metrics.scrape();
    return reply.header("content-type", contentType).header("cache-control", "no-store").send(body);
  });
}

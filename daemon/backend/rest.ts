import { Agent, request } from "undici";
import type * as z from "zod";
import { ErrorBody, ErrorCodeSchema, RescueError } from "../../src/protocol/index.js";

const TIMEOUT_MS = 10_000;

/** The server's REST API with the technician's token; every answer is parsed with its schema. */
export class RestClient {
  /** Its own connection pool, closed with the client so a stopping daemon has nothing left open. */
  private readonly agent = new Agent({ keepAliveTimeout: 10_000 });

  constructor(
    private readonly server: string,
    private readonly token: string,
  ) {}

  close(): void {
    void this.agent.close();
  }

  async call<S extends z.ZodType>(method: "GET" | "POST" | "PATCH" | "DELETE", path: string, schema: S, body?: unknown): Promise<z.infer<S>> {
    let res;
    try {
      res = await request(new URL(path, this.server), {
        method,
        dispatcher: this.agent,
        headers: {
          // No token: the one unauthenticated call, an external technician joining by invitation PIN.
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        headersTimeout: TIMEOUT_MS,
        bodyTimeout: TIMEOUT_MS,
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (e) {
      const err = e as Error;
      if (err.name === "TimeoutError" || err.name === "HeadersTimeoutError" || err.name === "BodyTimeoutError") {
        throw new RescueError("timeout", `${this.server} did not answer within ${TIMEOUT_MS / 1000} s`);
      }
      throw new RescueError("unavailable", `cannot reach ${this.server}: ${err.message}`);
    }
    const text = await res.body.text();
    let json: unknown = undefined;
    if (text) {
      try {
        json = JSON.parse(text);
      } catch {
        throw new RescueError("internal", `${this.server} answered ${res.statusCode} with a body that is not JSON`);
      }
    }
    if (res.statusCode >= 400) {
      const parsed = ErrorBody.safeParse(json);
      if (parsed.success) throw RescueError.fromBody(parsed.data);
      // A status without our error body (a proxy's, or node's own such as 414 for a too long URL):
      // a 4xx is still the request's fault, only a 5xx the server's.
      const code = ErrorCodeSchema.options.find((c) => c === statusCode(res.statusCode)) ?? (res.statusCode < 500 ? "bad_request" : "internal");

      throw new RescueError(code, `${this.server} answered ${res.statusCode}`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new RescueError("internal", `unexpected answer from ${this.server} for ${method} ${path}`);
    return parsed.data;
  }
}

function statusCode(status: number): string | undefined {
  const map: Record<number, string> = { 400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found", 409: "conflict", 429: "rate_limited", 503: "unavailable" };
  return map[status];
}

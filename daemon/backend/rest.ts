import http from "node:http";
import https from "node:https";
import type * as z from "zod";
import { ErrorBody, ErrorCodeSchema, RescueError } from "../../src/protocol/index.js";

const TIMEOUT_MS = 10_000;
/** Answers larger than this are refused: the API's largest (a session list) is far smaller. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

/**
 * The server's REST API with the technician's token; every answer is parsed with its schema.
 * Node's own http client: the daemon makes a few calls a minute, and a second HTTP stack's code
 * (undici's) cost the daemon about 10 MB of RSS.
 */
export class RestClient {
  private readonly url: URL;
  /** Its own keep-alive pool, destroyed with the client so a stopping daemon has nothing left open. */
  private readonly agent: http.Agent;

  /** `timeoutMs`: the whole exchange, connect to last byte (default 10 s). */
  constructor(
    private readonly server: string,
    private readonly token: string,
    private readonly timeoutMs = TIMEOUT_MS,
  ) {
    this.url = new URL(server);
    const options = { keepAlive: true, keepAliveMsecs: 10_000, timeout: timeoutMs };
    this.agent = this.url.protocol === "https:" ? new https.Agent(options) : new http.Agent(options);
  }

  close(): void {
    this.agent.destroy();
  }

  async call<S extends z.ZodType>(method: "GET" | "POST" | "PATCH" | "DELETE", path: string, schema: S, body?: unknown): Promise<z.infer<S>> {
    let res: { statusCode: number; text: string };
    try {
      res = await this.send(method, new URL(path, this.url), body === undefined ? undefined : JSON.stringify(body));
    } catch (e) {
      const err = e as Error;
      if (err.name === "TimeoutError") throw new RescueError("timeout", `${this.server} did not answer within ${this.timeoutMs / 1000} s`);
      throw new RescueError("unavailable", `cannot reach ${this.server}: ${err.message}`);
    }
    const { text } = res;
    let json: unknown = undefined;
    if (text) {
      try {
        json = JSON.parse(text);
      } catch {
        // A proxy's error page is told by its status below; a success must be JSON.
        if (res.statusCode < 400) throw new RescueError("internal", `${this.server} answered ${res.statusCode} with a body that is not JSON`);
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

  /** One request; rejects with a TimeoutError when the whole exchange takes over timeoutMs. */
  private send(method: string, url: URL, body: string | undefined): Promise<{ statusCode: number; text: string }> {
    return new Promise((resolve, reject) => {
      const req = (url.protocol === "https:" ? https : http).request(url, {
        method,
        agent: this.agent,
        signal: AbortSignal.timeout(this.timeoutMs),
        headers: {
          // No token: the one unauthenticated call, an external technician joining by invitation PIN.
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
          ...(body === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(body) }),
        },
      });
      req.on("error", (e: Error) => reject(e.name === "AbortError" && (e.cause as Error | undefined)?.name === "TimeoutError" ? e.cause : e));
      req.on("response", (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) req.destroy(new Error(`answer larger than ${MAX_BODY_BYTES} bytes`));
          else chunks.push(chunk);
        });
        res.on("error", reject);
        res.on("end", () => resolve({ statusCode: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
      });
      req.end(body);
    });
  }
}

function statusCode(status: number): string | undefined {
  const map: Record<number, string> = { 400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found", 409: "conflict", 429: "rate_limited", 503: "unavailable" };
  return map[status];
}

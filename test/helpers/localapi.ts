import { request } from "node:http";
import { join } from "node:path";
import { LOCALAPI_VERSION, LOCALAPI_VERSION_HEADER } from "../../src/protocol/index.js";

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** A raw request on a daemon's socket, with the version header unless told otherwise. */
export function localRequest(
  home: string,
  method: string,
  path: string,
  opts: { headers?: Record<string, string>; body?: unknown; version?: string | null } = {},
): Promise<RawResponse> {
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.version !== null) headers[LOCALAPI_VERSION_HEADER] = opts.version ?? LOCALAPI_VERSION;
  if (payload) headers["content-type"] = "application/json";
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: join(home, "run", "rescued.sock"), method, path, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on("error", reject);
    req.end(payload);
  });
}

/** Reads the NDJSON event stream until `until` says stop (or the time runs out); returns the raw lines. */
export function readEvents(home: string, since: number | null, until: (events: any[]) => boolean, timeoutMs = 5000): Promise<{ lines: string[]; events: any[] }> {
  return new Promise((resolve, reject) => {
    const lines: string[] = [];
    const events: any[] = [];
    let buffer = "";
    const req = request(
      { socketPath: join(home, "run", "rescued.sock"), path: `/api/v1/events${since === null ? "" : `?since=${since}`}`, headers: { [LOCALAPI_VERSION_HEADER]: LOCALAPI_VERSION } },
      (res) => {
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          buffer += chunk;
          let i: number;
          while ((i = buffer.indexOf("\n")) >= 0) {
            const line = buffer.slice(0, i);
            buffer = buffer.slice(i + 1);
            if (!line) continue;
            lines.push(line);
            events.push(JSON.parse(line));
          }
          if (until(events)) {
            clearTimeout(timer);
            req.destroy();
            resolve({ lines, events });
          }
        });
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`events: condition not met within ${timeoutMs} ms; got ${JSON.stringify(events.map((e) => e.type))}`));
    }, timeoutMs);
    req.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.end();
  });
}

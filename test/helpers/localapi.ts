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

export interface EventTap {
  /** Resolves once the daemon answered: from then on nothing is missed. */
  opened: Promise<void>;
  lines: string[];
  events: any[];
  /** Resolves when `pred` holds for what arrived so far. */
  until(pred: (events: any[]) => boolean, timeoutMs?: number): Promise<any[]>;
  close(): void;
}

/** Follows the NDJSON event stream from `since` (or live only when null). */
export function tapEvents(home: string, since: number | null): EventTap {
  const lines: string[] = [];
  const events: any[] = [];
  const checks = new Set<() => void>();
  let buffer = "";
  let opened!: () => void;
  let failed!: (e: Error) => void;
  const openedP = new Promise<void>((resolve, reject) => ((opened = resolve), (failed = reject)));
  const req = request(
    { socketPath: join(home, "run", "rescued.sock"), path: `/api/v1/events${since === null ? "" : `?since=${since}`}`, headers: { [LOCALAPI_VERSION_HEADER]: LOCALAPI_VERSION } },
    (res) => {
      opened();
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
        for (const c of checks) c();
      });
    },
  );
  req.on("error", (e) => failed(e));
  req.end();
  return {
    opened: openedP,
    lines,
    events,
    until(pred, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!pred(events)) return;
          checks.delete(check);
          clearTimeout(timer);
          resolve(events);
        };
        const timer = setTimeout(() => {
          checks.delete(check);
          reject(new Error(`events: condition not met within ${timeoutMs} ms; got ${JSON.stringify(events.map((e) => e.type))}`));
        }, timeoutMs);
        checks.add(check);
        check();
      });
    },
    close: () => req.destroy(),
  };
}

import { chmodSync, mkdirSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type * as z from "zod";
import { LOCALAPI_VERSION, LOCALAPI_VERSION_HEADER, MAX_MESSAGE_BYTES, RescueError, describeIssue } from "../../src/protocol/index.js";
import type { Logger } from "../log.js";

export interface RouteContext {
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  req: IncomingMessage;
  res: ServerResponse;
}

export interface Route {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  /** Segments starting with ":" are parameters. */
  path: string;
  body?: z.ZodType;
  /** A value is sent as JSON (200, or `status`); undefined means 204; `streams` routes answer themselves. */
  handler(ctx: RouteContext): unknown;
  status?: number;
  streams?: boolean;
  /** The handler reads the request body itself (a media upload): it is neither read nor parsed before. */
  rawBody?: boolean;
}

/** A path parameter as text; a malformed escape such as %ZZ is the client's error, not the daemon's. */
function decodeParam(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new RescueError("bad_request", `malformed escape in the path: ${part}`);
  }
}

function match(route: Route, method: string, parts: string[]): Record<string, string> | null {
  if (route.method !== method) return null;
  const want = route.path.split("/").filter(Boolean);
  if (want.length !== parts.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const p = parts[i]!;
    if (w.startsWith(":")) params[w.slice(1)] = decodeParam(p);
    else if (w !== p) return null;
  }
  return params;
}

function send(res: ServerResponse, status: number, value?: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  if (value === undefined) {
    res.writeHead(status).end();
    return;
  }
  const body = JSON.stringify(value);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) }).end(body);
}

function sendError(res: ServerResponse, err: RescueError): void {
  send(res, err.httpStatus, err.toBody());
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_MESSAGE_BYTES) throw new RescueError("payload_too_large", `request body over ${MAX_MESSAGE_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new RescueError("bad_request", "request body is not JSON");
  }
}

function requestUrl(raw: string | undefined): URL {
  try {
    return new URL(raw ?? "/", "http://rescued");
  } catch {
    throw new RescueError("bad_request", "malformed request path");
  }
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => (i.path.length || i.code === "unrecognized_keys" ? describeIssue(i, "body") : i.message)).join("; ");
}

/**
 * The local API: HTTP over a unix socket only, never TCP. Browsers cannot reach a unix socket,
 * but anything carrying Origin/Referer is refused anyway, as is a client of another version.
 */
export function createLocalApi(routes: Route[], log: Logger): Server {
  return createServer(async (req, res) => {
    res.setHeader(LOCALAPI_VERSION_HEADER, LOCALAPI_VERSION);
    try {
      if (req.headers.origin !== undefined || req.headers.referer !== undefined) {
        throw new RescueError("forbidden", "requests from browsers are refused");
      }
      const version = req.headers[LOCALAPI_VERSION_HEADER];
      if (version !== LOCALAPI_VERSION) {
        throw new RescueError(
          "bad_request",
          `local API version mismatch: client ${version ?? "none"}, daemon ${LOCALAPI_VERSION}: restart the daemon (rescue daemon stop)`,
        );
      }
      const url = requestUrl(req.url);
      const parts = url.pathname.split("/").filter(Boolean);
      let found: { route: Route; params: Record<string, string> } | null = null;
      for (const route of routes) {
        const params = match(route, req.method ?? "GET", parts);
        if (params) {
          found = { route, params };
          break;
        }
      }
      if (!found) throw new RescueError("not_found", `no route ${req.method} ${url.pathname}`);
      const raw = found.route.rawBody ? undefined : await readBody(req);
      let body: unknown = raw;
      if (found.route.body) {
        const parsed = found.route.body.safeParse(raw ?? {});
        if (!parsed.success) throw new RescueError("bad_request", describeIssues(parsed.error));
        body = parsed.data;
      }
      const value = await found.route.handler({ params: found.params, query: url.searchParams, body, req, res });
      if (found.route.streams) return;
      send(res, value === undefined ? 204 : (found.route.status ?? 200), value);
    } catch (e) {
      const err = e instanceof RescueError ? e : new RescueError("internal", "internal error in rescued");
      if (!(e instanceof RescueError)) log.error(`${req.method} ${req.url}: ${(e as Error).stack ?? e}`);
      sendError(res, err);
    }
  });
}

/** Listens on the socket with the folder 0700 and the socket 0600 before anyone can connect. */
export async function listenOnSocket(server: Server, runDir: string, socketPath: string): Promise<void> {
  mkdirSync(runDir, { recursive: true, mode: 0o700 });
  chmodSync(runDir, 0o700);
  const oldMask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(socketPath, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } finally {
    process.umask(oldMask);
  }
  chmodSync(socketPath, 0o600);
}

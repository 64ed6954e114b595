import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import * as z from "zod";
import { Pin } from "../../protocol/index.js";
import { mobilePage, pinPage } from "./pages.js";
import { sessionPage } from "./session-page.js";
import { pickLanguage, STRINGS } from "./strings.js";

/**
 * Strict by default: scripts and styles from this origin only, WebSockets back to it, media from
 * the page itself. The PIN rides in URLs, so no referrer ever leaves. The WebSocket origin is
 * named as well as 'self', for browsers that do not match ws: and wss: against 'self'.
 */
export function contentSecurityPolicy(publicUrl: string): string {
  let socket = "";
  try {
    const u = new URL(publicUrl);
    socket = ` ${u.protocol === "https:" ? "wss:" : "ws:"}//${u.host}`;
  } catch {
    // No public URL yet: 'self' alone.
  }
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "media-src 'self' blob: mediastream:",
    `connect-src 'self'${socket}`,
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

const SECURITY_HEADERS: Record<string, string> = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "permissions-policy": "camera=(self), microphone=(self), geolocation=()",
  "cross-origin-opener-policy": "same-origin",
};

/** The browser assets, read once. The folder sits beside this file in the source tree. */
function assetDir(): string {
  const beside = fileURLToPath(new URL("./assets/", import.meta.url));
  if (existsSync(beside)) return beside;
  // Compiled to dist/src/server/web: the assets stay in the source tree.
  return fileURLToPath(new URL("../../../../src/server/web/assets/", import.meta.url));
}

const ASSET_TYPES: Record<string, string> = {
  "customer.js": "text/javascript; charset=utf-8",
  "lens.js": "text/javascript; charset=utf-8",
  "lens-tools.js": "text/javascript; charset=utf-8",
  "screen.js": "text/javascript; charset=utf-8",
  "style.css": "text/css; charset=utf-8",
};

const PageQuery = z.object({ code: z.string().optional(), lang: z.string().max(16).optional() });
const LensQuery = z.object({ pin: z.string().optional(), name: z.string().optional(), lang: z.string().max(16).optional() });


function language(req: FastifyRequest, lang: string | undefined) {
  return pickLanguage(lang, req.headers["accept-language"]);
}

/**
 * The customer pages: PIN entry, the mobile link page and the session page, plus their assets.
 * No page looks its PIN up: the customer socket's join is the one check (within the PIN limits),
 * so a page cannot tell a guesser which PINs are live or what they open.
 */
export function webRoutes(app: FastifyInstance, publicUrl: () => string): void {
  const secure = (reply: FastifyReply) => reply.headers(SECURITY_HEADERS).header("content-security-policy", contentSecurityPolicy(publicUrl()));
  const html = (reply: FastifyReply, body: string, status = 200) =>
    secure(reply).code(status).header("cache-control", "no-store").type("text/html; charset=utf-8").send(body);
  const dir = assetDir();
  const assets = new Map(Object.entries(ASSET_TYPES).map(([name, type]) => [name, { type, body: readFileSync(`${dir}${name}`) }]));

  const pinEntry = async (req: FastifyRequest, reply: FastifyReply) => {
    const q = PageQuery.safeParse(req.query);
    const query = q.success ? q.data : {};
    const code = Pin.safeParse(query.code).success ? query.code : undefined;
    return html(reply, pinPage(language(req, query.lang), code));
  };
  app.get("/", pinEntry);
  app.get("/pin", pinEntry);

  app.get("/m/:pin", async (req, reply) => {
    const { pin } = req.params as { pin: string };
    const q = PageQuery.safeParse(req.query);
    const lang = language(req, q.success ? q.data.lang : undefined);
    if (!Pin.safeParse(pin).success) return html(reply, pinPage(lang, undefined, STRINGS[lang].pinInvalid), 404);
    return html(reply, mobilePage(lang, pin));
  });

  app.get("/lens", async (req, reply) => {
    const q = LensQuery.safeParse(req.query);
    const query = q.success ? q.data : {};
    const lang = language(req, query.lang);
    const pin = query.pin?.trim();
    if (!pin || !Pin.safeParse(pin).success) return html(reply, pinPage(lang, undefined, STRINGS[lang].pinInvalid), 400);
    return html(reply, sessionPage(lang, pin, query.name?.trim().slice(0, 100) || undefined));
  });

  app.get("/assets/:file", async (req, reply) => {
    const asset = assets.get((req.params as { file: string }).file);
    if (!asset) return secure(reply).code(404).type("text/plain").send("not found");
    return secure(reply).header("cache-control", "public, max-age=300").type(asset.type).send(asset.body);
  });
}

import { createHmac } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { RescueError, type IceServer } from "../protocol/index.js";

/** How long handed-out TURN credentials stay valid by default: 6 h, a long support session. */
export const DEFAULT_TURN_TTL_SECONDS = 6 * 3600;

/** TURN relays shared with coturn through its `use-auth-secret` REST credentials. */
export interface TurnConfig {
  /** turn: / turns: URLs, e.g. `turn:turn.example.com:3478?transport=udp`. */
  urls: string[];
  /** coturn's `static-auth-secret`; never leaves the server. */
  secret: string;
  /** Validity of each credential handed out, in seconds. */
  ttlSeconds: number;
}

/**
 * The "TURN REST API" credential (draft-uberti-behave-turn-rest-00, coturn `use-auth-secret`):
 * username `<expiry unix seconds>:<id>`, credential base64(HMAC-SHA1(secret, username)).
 * coturn refuses the username once its expiry has passed.
 */
export function turnCredential(secret: string, id: string, expiresAtSec: number): { username: string; credential: string } {
  const username = `${expiresAtSec}:${id}`;
  return { username, credential: createHmac("sha1", secret).update(username).digest("base64") };
}

/**
 * The ICE servers one peer gets: the static ones plus the TURN URLs with a fresh credential for
 * `id` (a label coturn logs, e.g. `c-<session>`; no secret, no personal data), valid for the
 * configured TTL from `now`. `expiresAt` is when the earliest credential lapses (undefined: never).
 */
export function iceServersFor(
  staticServers: IceServer[],
  turn: TurnConfig | undefined,
  id: string,
  now: Date,
): { iceServers: IceServer[]; expiresAt?: Date } {
  if (!turn) return { iceServers: staticServers };
  const expiresAtSec = Math.floor(now.getTime() / 1000) + turn.ttlSeconds;
  return {
    iceServers: [...staticServers, { urls: turn.urls, ...turnCredential(turn.secret, id, expiresAtSec) }],
    expiresAt: new Date(expiresAtSec * 1000),
  };
}

/** A --turn-url entry: `turn:` or `turns:` with a host, as browsers and werift take it. */
export function checkTurnUrl(url: string): string {
  if (!/^turns?:(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?(\?transport=(udp|tcp))?$/.test(url)) {
    throw new RescueError("bad_request", `${url} is not a TURN URL; e.g. turn:turn.example.com:3478?transport=udp or turns:turn.example.com:5349?transport=tcp`);
  }
  return url;
}

/**
 * Reads coturn's shared secret: the file's content without surrounding whitespace. Refuses a file
 * group or others may read or write (the 0600 rule: whoever reads it can mint credentials), and an
 * empty one. Errors never quote the content.
 */
export function readTurnSecret(file: string): string {
  let mode: number;
  try {
    mode = statSync(file).mode & 0o777;
  } catch {
    throw new RescueError("not_found", `cannot read the TURN secret file ${file}`);
  }
  if ((mode & 0o077) !== 0) {
    throw new RescueError("forbidden", `${file} holds the TURN secret but is open to others (mode ${mode.toString(8)}); run: chmod 600 ${file}`);
  }
  const secret = readFileSync(file, "utf8").trim();
  if (secret.length === 0) throw new RescueError("bad_request", `${file} is empty; put coturn's static-auth-secret in it`);
  if (/[\r\n]/.test(secret)) throw new RescueError("bad_request", `${file} must hold the secret on one line`);
  return secret;
}

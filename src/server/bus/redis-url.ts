import { randomBytes } from "node:crypto";
import { RescueError } from "../../protocol/index.js";
import { hideUrlSecrets } from "../url-secrets.js";

/** Environment variable read when `--redis` is not given. */
export const REDIS_URL_ENV = "RESCUE_REDIS_URL";

/** The longest wait between two attempts to reconnect to Redis. */
export const RECONNECT_MAX_MS = 2_000;

/** A fresh node id: 12 random bytes, base64url (16 characters). */
export function newNodeId(): string {
  return randomBytes(12).toString("base64url");
}

/** The URL with any password (and user) replaced by `***`, for logs and error messages. */
export function redactedUrl(url: string): string {
  return hideUrlSecrets(url, { hideUser: true, unparsable: "(an unparsable Redis URL)" });
}

/** Checks a `--redis` value: redis:// or rediss:// (TLS). Throws bad_request naming the URL without its password. */
export function checkRedisUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new RescueError("bad_request", "--redis takes a URL such as redis://127.0.0.1:6379/0 or rediss://:PASSWORD@host:6380");
  }
  if (u.protocol !== "redis:" && u.protocol !== "rediss:") throw new RescueError("bad_request", `--redis takes a redis:// or rediss:// URL, not ${redactedUrl(url)}`);
  return url;
}

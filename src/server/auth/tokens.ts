import { createHash, randomBytes } from "node:crypto";

/** A bearer token: 32 random bytes. Only its SHA-256 is stored. */
export function newToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString("base64url");
  return { token, hash: hashToken(token) };
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** The token of an `Authorization: Bearer <token>` header, if well formed. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer ([A-Za-z0-9_-]{16,128})$/.exec(header ?? "");
  return m?.[1];
}

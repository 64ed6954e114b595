import { hash, randomBytes } from "node:crypto";

/** A bearer token: 32 random bytes. Only its SHA-256 is stored. */
export function newToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString("base64url");
  return { token, hash: hashToken(token) };
}

/** The token's SHA-256, hex: what the store keeps. One-shot crypto.hash: every request pays for it. */
export function hashToken(token: string): string {
  return hash("sha256", token, "hex");
}

/** The token of an `Authorization: Bearer <token>` header, if well formed. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer ([A-Za-z0-9_-]{16,128})$/.exec(header ?? "");
  return m?.[1];
}

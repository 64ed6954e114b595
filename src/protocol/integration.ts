import * as z from "zod";
import { modeFitsType } from "./api.js";
import { Id, IsoTime, Language, Pin, SessionMode, SessionType, Text } from "./common.js";
import { SessionLinks } from "./session.js";

/**
 * The contact-center integration API: a chat or CRM system creates Lens or desktop sessions for a
 * technician with that technician's API key. Documented as OpenAPI 3 at GET /api/v1/openapi.json.
 *
 * Key management, with the technician's login token (`Authorization: Bearer <token>`); the CLI's
 * `rescue apikey create|list|revoke` speaks these:
 *   POST   /api/v1/apikeys             CreateApiKeyRequest -> 201 CreatedApiKey (the key is shown once, only its hash is kept)
 *   GET    /api/v1/apikeys             -> ApiKey[] (revoked ones included, newest first)
 *   DELETE /api/v1/apikeys/:id         -> 204; 404 when no live key of the caller has this id
 *
 * Integration calls, with the key (`Authorization: Bearer rk_...`), rate-limited per key (429 with
 * Retry-After). They act as the key's technician, with the permissions of their group at call time
 * (lens, private, link), and the session appears in that technician's list like any other.
 *   POST   /api/v1/integration/sessions          IntegrationSessionRequest -> 201 IntegrationSession
 *   POST   /api/v1/integration/sessions/:id/pin  -> IntegrationSession with another PIN (before the customer joins)
 *   GET    /api/v1/openapi.json                  -> the OpenAPI 3 document (no auth)
 */

/** Keys start with this, so a leaked one is easy to recognise in logs and scanners. */
export const API_KEY_PREFIX = "rk_";
export const ApiKeySecret = z.string().regex(/^rk_[A-Za-z0-9_-]{43}$/, "an API key is rk_ and 43 characters");

export const CreateApiKeyRequest = z.strictObject({ name: Text(64) });
export type CreateApiKeyRequest = z.infer<typeof CreateApiKeyRequest>;

export const ApiKey = z.object({
  id: Id,
  name: z.string(),
  /** The key's first characters, e.g. rk_AbCd, to tell keys apart. */
  prefix: z.string(),
  createdAt: IsoTime,
  lastUsedAt: IsoTime.nullable(),
  revokedAt: IsoTime.nullable(),
});
export type ApiKey = z.infer<typeof ApiKey>;

export const CreatedApiKey = ApiKey.extend({ key: ApiKeySecret });
export type CreatedApiKey = z.infer<typeof CreatedApiKey>;

export const IntegrationSessionRequest = z.strictObject({
  /** The customer's name as the contact center knows it. */
  name: Text(100).optional(),
  /** The customer's language, for the pages the links open. */
  language: Language.default("en"),
  /** lens (the customer's camera) or desktop (the customer shares their screen; the technician views it). */
  type: SessionType.default("lens"),
  /** A desktop session's mode: view, or control (refused until the Rescue agent exists); a Lens session is view. */
  mode: SessionMode.default("view"),
}).superRefine(modeFitsType);
export type IntegrationSessionRequest = z.input<typeof IntegrationSessionRequest>;

export const IntegrationSession = z.object({
  sessionId: Id,
  pin: Pin,
  links: SessionLinks,
  expiresAt: IsoTime,
});
export type IntegrationSession = z.infer<typeof IntegrationSession>;

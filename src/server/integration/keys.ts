import { randomBytes } from "node:crypto";
import { API_KEY_PREFIX, ApiKeySecret, RescueError, type ApiKey, type CreatedApiKey } from "../../protocol/index.js";
import { offboarded, type Caller } from "../auth/service.js";
import { hashToken } from "../auth/tokens.js";
import { newId } from "../org.js";
import type { ApiKeyRow, Store } from "../store/types.js";

/** Live keys one technician may hold at once. */
export const MAX_KEYS_PER_TECHNICIAN = 20;

function view(row: ApiKeyRow): ApiKey {
  return { id: row.id, name: row.name, prefix: row.prefix, createdAt: row.createdAt, lastUsedAt: row.lastUsedAt, revokedAt: row.revokedAt };
}

/** A caller authenticated by an API key, and the key's id (the rate-limit bucket). */
export interface KeyCaller extends Caller {
  keyId: string;
}

/** Per-technician API keys: 32 random bytes shown once, stored as SHA-256. */
export class ApiKeyService {
  constructor(
    private readonly store: Store,
    private readonly now: () => Date,
  ) {}

  async create(caller: Caller, name: string): Promise<CreatedApiKey> {
    const live = (await this.store.apiKeys.listByTechnician(caller.technician.id)).filter((k) => !k.revokedAt);
    if (live.length >= MAX_KEYS_PER_TECHNICIAN) {
      throw new RescueError("conflict", `you already hold ${live.length} API keys; revoke one first`, { limit: MAX_KEYS_PER_TECHNICIAN });
    }
    const key = `${API_KEY_PREFIX}${randomBytes(32).toString("base64url")}`;
    const row: ApiKeyRow = {
      id: newId(),
      technicianId: caller.technician.id,
      name,
      hash: hashToken(key),
      prefix: key.slice(0, API_KEY_PREFIX.length + 4),
      createdAt: this.now().toISOString(),
      lastUsedAt: null,
      revokedAt: null,
    };
    await this.store.apiKeys.insert(row);
    return { ...view(row), key };
  }

  async list(caller: Caller): Promise<ApiKey[]> {
    return (await this.store.apiKeys.listByTechnician(caller.technician.id)).map(view);
  }

  async revoke(caller: Caller, id: string): Promise<void> {
    if (!(await this.store.apiKeys.revoke(id, caller.technician.id, this.now().toISOString()))) {
      throw new RescueError("not_found", `no live API key ${id}`);
    }
  }

  /** The technician behind `Authorization: Bearer rk_...`, or unauthenticated. */
  async authenticate(authorization: string | undefined): Promise<KeyCaller> {
    // Made only when refusing: an Error captures its stack, a cost every request would pay.
    const denied = () => new RescueError("unauthenticated", "missing, invalid or revoked API key");
    const m = /^Bearer (\S+)$/.exec(authorization ?? "");
    if (!m || !ApiKeySecret.safeParse(m[1]).success) throw denied();
    const hash = hashToken(m[1]!);
    const key = await this.store.apiKeys.byHash(hash);
    if (!key || key.revokedAt) throw denied();
    const technician = await this.store.technicians.byId(key.technicianId);
    const group = technician && (await this.store.groups.get(technician.group));
    if (!technician || !group || offboarded(technician)) throw denied();
    await this.store.apiKeys.touch(key.id, this.now().toISOString());
    return { technician, group, tokenHash: hash, keyId: key.id };
  }
}

import { RescueError, type LoginResponse, type Permission, type Technician } from "../../protocol/index.js";
import type { GroupRow, Store, TechnicianRow } from "../store/types.js";
import { DECOY_HASH, verifyPassword } from "./passwords.js";
import type { BucketStore, Rate } from "../limits/buckets.js";
import { sourceOf } from "../limits/source.js";
import { bearerToken, hashToken, newToken } from "./tokens.js";

/** Who is calling: the technician, their group and the hash of the token they used. */
export interface Caller {
  technician: TechnicianRow;
  group: GroupRow;
  tokenHash: string;
  /** Set for an external technician: their token reaches this one session and nothing else. */
  external?: { invitationId: string; sessionId: string };
}

/**
 * Wrong passwords allowed before a login is refused without checking. Counted per account and
 * source together, so nobody can lock a technician out from elsewhere, and per source (an IPv4
 * address, an IPv6 /64) across accounts, against spraying.
 */
export interface LoginLimits {
  perAccountSource: Rate;
  perSource: Rate;
}

export const TOKEN_LIFETIME_MS = 12 * 60 * 60 * 1000;

export function technicianView(t: TechnicianRow, g: GroupRow): Technician {
  return { id: t.id, email: t.email, name: t.name, group: g.name, admin: t.admin, permissions: [...g.permissions] };
}

/** Whether an administrator disabled or removed the account: it may then neither log in nor use any token or key. */
export function offboarded(t: TechnicianRow): boolean {
  return Boolean(t.disabledAt || t.removedAt);
}

export function hasPermission(caller: Caller, p: Permission): boolean {
  return caller.group.permissions.includes(p);
}

export class AuthService {
  constructor(
    private readonly store: Store,
    private readonly now: () => Date,
    private readonly limits: LoginLimits,
    private readonly buckets: BucketStore,
  ) {}

  async login(email: string, password: string, address: string): Promise<LoginResponse> {
    const source = sourceOf(address);
    const pair = { key: `login:${email}|${source}`, rate: this.limits.perAccountSource };
    const spray = { key: `login:${source}`, rate: this.limits.perSource };
    // Tokens are taken before the check, so parallel guesses cannot overdraw them, and given back
    // on success. Same answer whether or not the account exists.
    const taken = [];
    for (const b of [pair, spray]) {
      if (await this.buckets.take(b.key, b.rate)) taken.push(b);
      else {
        for (const t of taken) await this.buckets.refund(t.key, t.rate);
        throw new RescueError("rate_limited", "too many failed logins from this address; try again later");
      }
    }
    const technician = await this.store.technicians.byEmail(email);
    const ok = await verifyPassword(password, technician?.passwordHash ?? DECOY_HASH);
    const group = technician && (await this.store.groups.get(technician.group));
    // A disabled or removed account gets the same answer as a wrong password: nothing to learn by guessing.
    if (!ok || !technician || !group || offboarded(technician)) throw new RescueError("unauthenticated", "wrong email or password");
    for (const b of taken) await this.buckets.refund(b.key, b.rate);
    const { token, hash } = newToken();
    const now = this.now();
    const expiresAt = new Date(now.getTime() + TOKEN_LIFETIME_MS).toISOString();
    await this.store.tokens.insert({ hash, technicianId: technician.id, expiresAt, createdAt: now.toISOString() });
    return { token, expiresAt, technician: technicianView(technician, group) };
  }

  /** The caller behind an Authorization header, or an unauthenticated error. */
  async authenticate(authorization: string | undefined): Promise<Caller> {
    const token = bearerToken(authorization);
    // Made only when refusing: an Error captures its stack, a cost every request would pay.
    const denied = () => new RescueError("unauthenticated", "missing, invalid or expired token; log in again");
    if (!token) throw denied();
    const tokenHash = hashToken(token);
    const found = await this.store.tokens.withOwner(tokenHash);
    // Off-boarding deletes the tokens too; this also covers a token inserted by a login racing it.
    if (!found || found.token.expiresAt <= this.now().toISOString() || offboarded(found.technician)) throw denied();
    return { technician: found.technician, group: found.group, tokenHash };
  }

  async logout(caller: Caller): Promise<void> {
    await this.store.tokens.delete(caller.tokenHash);
  }

  /** Drops expired tokens. */
  async sweep(): Promise<void> {
    await this.store.tokens.deleteExpired(this.now().toISOString());
  }
}

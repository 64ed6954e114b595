import { RescueError, type LoginResponse, type Permission, type Technician } from "../../protocol/index.js";
import type { GroupRow, Store, TechnicianRow } from "../store/types.js";
import { DECOY_HASH, verifyPassword } from "./passwords.js";
import { FailureLimiter } from "./rate-limit.js";
import { bearerToken, hashToken, newToken } from "./tokens.js";

/** Who is calling: the technician, their group and the hash of the token they used. */
export interface Caller {
  technician: TechnicianRow;
  group: GroupRow;
  tokenHash: string;
  /** Set for an external technician: their token reaches this one session and nothing else. */
  external?: { invitationId: string; sessionId: string };
}

export interface LoginLimits {
  /** Failed logins per account per window. */
  perAccount: number;
  /** Failed logins per client address per window. */
  perAddress: number;
  windowMs: number;
}

export const TOKEN_LIFETIME_MS = 12 * 60 * 60 * 1000;

export function technicianView(t: TechnicianRow, g: GroupRow): Technician {
  return { id: t.id, email: t.email, name: t.name, group: g.name, admin: t.admin, permissions: [...g.permissions] };
}

export function hasPermission(caller: Caller, p: Permission): boolean {
  return caller.group.permissions.includes(p);
}

export class AuthService {
  private readonly byAccount: FailureLimiter;
  private readonly byAddress: FailureLimiter;

  constructor(
    private readonly store: Store,
    private readonly now: () => Date,
    limits: LoginLimits,
  ) {
    const clock = () => this.now().getTime();
    this.byAccount = new FailureLimiter(limits.perAccount, limits.windowMs, clock);
    this.byAddress = new FailureLimiter(limits.perAddress, limits.windowMs, clock);
  }

  async login(email: string, password: string, address: string): Promise<LoginResponse> {
    // Same answer whether or not the account exists.
    if (this.byAccount.blocked(email) || this.byAddress.blocked(address)) {
      throw new RescueError("rate_limited", "too many failed logins; try again later");
    }
    const technician = await this.store.technicians.byEmail(email);
    const ok = await verifyPassword(password, technician?.passwordHash ?? DECOY_HASH);
    const group = technician && (await this.store.groups.get(technician.group));
    if (!ok || !technician || !group) {
      this.byAccount.fail(email);
      this.byAddress.fail(address);
      throw new RescueError("unauthenticated", "wrong email or password");
    }
    const { token, hash } = newToken();
    const now = this.now();
    const expiresAt = new Date(now.getTime() + TOKEN_LIFETIME_MS).toISOString();
    await this.store.tokens.insert({ hash, technicianId: technician.id, expiresAt, createdAt: now.toISOString() });
    return { token, expiresAt, technician: technicianView(technician, group) };
  }

  /** The caller behind an Authorization header, or an unauthenticated error. */
  async authenticate(authorization: string | undefined): Promise<Caller> {
    const token = bearerToken(authorization);
    const denied = new RescueError("unauthenticated", "missing, invalid or expired token; log in again");
    if (!token) throw denied;
    const tokenHash = hashToken(token);
    const row = await this.store.tokens.get(tokenHash);
    if (!row || row.expiresAt <= this.now().toISOString()) throw denied;
    const technician = await this.store.technicians.byId(row.technicianId);
    const group = technician && (await this.store.groups.get(technician.group));
    if (!technician || !group) throw denied;
    return { technician, group, tokenHash };
  }

  async logout(caller: Caller): Promise<void> {
    await this.store.tokens.delete(caller.tokenHash);
  }

  /** Drops expired tokens and ended rate-limit windows. */
  async sweep(): Promise<void> {
    await this.store.tokens.deleteExpired(this.now().toISOString());
    this.byAccount.prune();
    this.byAddress.prune();
  }
}

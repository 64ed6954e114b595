import { RescueError, type Group, type OffboardResult, type PasswordReset, type TechnicianStatus } from "../protocol/index.js";
import { generatePassword, hashPassword } from "./auth/passwords.js";
import { groupView } from "./org.js";
import type { ExternalTechnicianRow, GroupRow, Store, TechnicianPatch, TechnicianRow } from "./store/types.js";
import type { Hub } from "./ws/hub.js";
import type { SessionService } from "./sessions/service.js";
import { LIVE_STATUSES } from "./sessions/state.js";
import { WS_CLOSE } from "../protocol/index.js";

/** The store key every change to who may administer runs under: two admins cannot disable each other into none. */
const ADMINS_KEY = "admins";

export function technicianStatus(t: TechnicianRow): TechnicianStatus {
  return t.removedAt ? "removed" : t.disabledAt ? "disabled" : "active";
}

/**
 * Off-boarding: what an administrator does when a technician leaves or a password leaks. Every
 * change that takes access away revokes the technician's login tokens in the store (REST refuses
 * them at once) and closes their sockets on every node with WS_CLOSE.unauthenticated.
 * Rules: the last administrator who may log in cannot be disabled or removed; a technician who
 * leads live sessions is refused unless `force`, which ends those sessions.
 */
export class Offboarding {
  constructor(
    private readonly store: Store,
    private readonly now: () => Date,
    private readonly hub: Pick<Hub, "closeTechnician">,
    private readonly sessions: Pick<SessionService, "endForAdmin">,
  ) {}

  /** Marks the account removed for good (the row stays: the session log names them). Errors: not_found, conflict (last admin, live sessions). */
  async remove(email: string, force: boolean, by: string): Promise<OffboardResult> {
    return this.takeAway(email, force, by, { removedAt: this.now().toISOString() }, "removed by an administrator");
  }

  /** Disables (reversibly) or enables an account. Errors: not_found (or removed), conflict (last admin, live sessions). */
  async setDisabled(email: string, disabled: boolean, force: boolean, by: string): Promise<OffboardResult> {
    if (disabled) return this.takeAway(email, force, by, { disabledAt: this.now().toISOString() }, "disabled by an administrator");
    const t = await this.present(email);
    await this.store.technicians.update(t.id, { disabledAt: null });
    return this.result({ ...t, disabledAt: null }, 0, []);
  }

  /**
   * Moves a technician to another group (their permissions are the group's from the next request on).
   * A removed technician may be moved too, so that their old group can be deleted.
   */
  async move(email: string, group: string): Promise<OffboardResult> {
    const t = await this.store.technicians.byEmail(email);
    if (!t) throw new RescueError("not_found", `no technician ${email}`);
    if (!(await this.store.groups.get(group))) throw new RescueError("not_found", `no group "${group}"`);
    await this.store.technicians.update(t.id, { group });
    return this.result({ ...t, group }, 0, []);
  }

  /** A new generated password (returned once); every token of theirs is revoked and their sockets close. Errors: not_found (or removed). */
  async resetPassword(email: string): Promise<PasswordReset> {
    const t = await this.present(email);
    const password = generatePassword();
    await this.store.technicians.update(t.id, { passwordHash: await hashPassword(password) });
    const revoked = await this.store.tokens.deleteByTechnician(t.id);
    this.hub.closeTechnician(t.id, WS_CLOSE.unauthenticated, "password reset by an administrator; log in again");
    return { email: t.email, password, revokedTokens: revoked.length };
  }

  /** Withdraws an external technician's approval: later invitations to them are unlisted ones. Errors: not_found. */
  async withdrawExternal(email: string): Promise<ExternalTechnicianRow> {
    const row = await this.store.externalTechnicians.get(email);
    if (!row || !(await this.store.externalTechnicians.delete(email))) throw new RescueError("not_found", `${email} is not an approved external technician`);
    return row;
  }

  /** Deletes an empty group. Errors: not_found; conflict while any technician (removed ones too) is in it, naming them. */
  async deleteGroup(name: string): Promise<Group> {
    const g: GroupRow | undefined = await this.store.groups.get(name);
    if (!g) throw new RescueError("not_found", `no group "${name}"`);
    const members = (await this.store.technicians.list()).filter((t) => t.group === name);
    if (members.length > 0) {
      const shown = members.slice(0, 5).map((t) => (t.removedAt ? `${t.email} (removed)` : t.email));
      throw new RescueError(
        "conflict",
        `group "${name}" still has ${members.length} technician${members.length > 1 ? "s" : ""}: ${shown.join(", ")}${members.length > 5 ? ", ..." : ""}; move them first (rescue admin technician set EMAIL --group OTHER)`,
        { technicians: members.length },
      );
    }
    await this.store.groups.delete(name);
    return groupView(g);
  }

  /** `by`: the administrator's email, which the session log of a session ended by force names. */
  private async takeAway(email: string, force: boolean, by: string, patch: TechnicianPatch, why: string): Promise<OffboardResult> {
    const { t, live, revoked } = await this.store.exclusive([ADMINS_KEY], async () => {
      const t = await this.present(email);
      if (t.admin && technicianStatus(t) === "active" && (await this.store.technicians.countAdmins()) <= 1) {
        throw new RescueError("conflict", `${email} is the last administrator who can log in; make another administrator first`);
      }
      const live = await this.store.sessions.listByTechnician(t.id, LIVE_STATUSES);
      if (live.length > 0 && !force) {
        throw new RescueError(
          "conflict",
          `${email} leads ${live.length} live session${live.length > 1 ? "s" : ""} (${live.map((s) => s.id).join(", ")}); transfer or end them, or pass --force to end them`,
          { sessions: live.map((s) => s.id) },
        );
      }
      await this.store.technicians.update(t.id, patch);
      // After the mark: a login racing this one is refused by authenticate even if its token lands.
      const revoked = await this.store.tokens.deleteByTechnician(t.id);
      return { t: { ...t, ...patch }, live, revoked };
    });
    this.hub.closeTechnician(t.id, WS_CLOSE.unauthenticated, `account ${why}`);
    const ended: string[] = [];
    // Outside the admins lock, which the session queue must not nest in.
    for (const s of live) {
      try {
        await this.sessions.endForAdmin(t.id, s.id, by);
        ended.push(s.id);
      } catch (err) {
        // Ended meanwhile by the customer or a timeout: nothing left to do.
        if (!(err instanceof RescueError && err.code === "conflict")) throw err;
      }
    }
    return this.result(t, revoked.length, ended);
  }

  /** The technician, unless there is none or they were removed. */
  private async present(email: string): Promise<TechnicianRow> {
    const t = await this.store.technicians.byEmail(email);
    if (!t || t.removedAt) throw new RescueError("not_found", `no technician ${email}${t ? " (removed)" : ""}`);
    return t;
  }

  private result(t: TechnicianRow, revokedTokens: number, endedSessions: string[]): OffboardResult {
    return { email: t.email, group: t.group, status: technicianStatus(t), revokedTokens, endedSessions };
  }
}

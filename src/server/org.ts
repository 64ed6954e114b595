import { randomBytes } from "node:crypto";
import {
  AddTechnicianRequest,
  PERMISSIONS,
  ALREADY_EXISTS,
  RescueError,
  GroupRequest,
  type AddTechnicianResponse,
  type Group,
  type GroupPatch,
  type Technician,
} from "../protocol/index.js";
import { generatePassword, hashPassword } from "./auth/passwords.js";
import { technicianView } from "./auth/service.js";
import type { GroupRow, Store } from "./store/types.js";

export const ADMIN_GROUP = "Administrators";
export const DEFAULT_ADMIN_EMAIL = "admin@rescue.local";

type Parsed<T extends { parse(v: unknown): unknown }> = ReturnType<T["parse"]>;

export function groupView(g: GroupRow): Group {
  return { name: g.name, permissions: [...g.permissions], settings: { pinExpiryMinutes: g.pinExpiryMinutes, maxTechnicians: g.maxTechnicians } };
}

const ID_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789";

/**
 * 14 characters from an alphabet without look-alikes (70 bits). Never starts with "-", which a
 * command line would take for an option.
 */
export function newId(): string {
  if (entropyUsed + ID_LENGTH > entropy.length) {
    entropy = randomBytes(ENTROPY_BATCH);
    entropyUsed = 0;
  }
  let id = "";
  // 256 is a multiple of the alphabet's 32 letters: every letter is equally likely.
  for (let i = entropyUsed; i < entropyUsed + ID_LENGTH; i++) id += ID_ALPHABET[entropy[i]! % ID_ALPHABET.length];
  entropyUsed += ID_LENGTH;
  return id;
}

const ID_LENGTH = 14;
/** CSPRNG bytes are drawn this many at a time (as crypto.randomUUID does): one call per id cost more than the id. */
const ENTROPY_BATCH = ID_LENGTH * 256;
let entropy = Buffer.alloc(0);
let entropyUsed = 0;

/** Technician groups and technicians: what admins manage. */
export class Organisation {
  constructor(
    private readonly store: Store,
    private readonly now: () => Date,
  ) {}

  async listGroups(): Promise<Group[]> {
    return (await this.store.groups.list()).map(groupView);
  }

  async createGroup(req: Parsed<typeof GroupRequest>): Promise<Group> {
    if (await this.store.groups.get(req.name)) throw new RescueError("conflict", `group "${req.name}" already exists`, { reason: ALREADY_EXISTS });
    const row: GroupRow = {
      name: req.name,
      permissions: unique(req.permissions),
      pinExpiryMinutes: req.settings?.pinExpiryMinutes ?? 20,
      maxTechnicians: req.settings?.maxTechnicians ?? 5,
      createdAt: this.now().toISOString(),
    };
    await this.store.groups.insert(row);
    return groupView(row);
  }

  async patchGroup(name: string, patch: GroupPatch): Promise<Group> {
    if (!(await this.store.groups.get(name))) throw new RescueError("not_found", `no group "${name}"`);
    await this.store.groups.update(name, {
      ...(patch.permissions ? { permissions: unique(patch.permissions) } : {}),
      ...(patch.settings?.pinExpiryMinutes !== undefined ? { pinExpiryMinutes: patch.settings.pinExpiryMinutes } : {}),
      ...(patch.settings?.maxTechnicians !== undefined ? { maxTechnicians: patch.settings.maxTechnicians } : {}),
    });
    return groupView((await this.store.groups.get(name))!);
  }

  async listTechnicians(): Promise<Technician[]> {
    const groups = new Map((await this.store.groups.list()).map((g) => [g.name, g]));
    return (await this.store.technicians.list()).flatMap((t) => {
      const g = groups.get(t.group);
      return g ? [{ ...technicianView(t, g), status: t.removedAt ? ("removed" as const) : t.disabledAt ? ("disabled" as const) : ("active" as const) }] : [];
    });
  }

  async addTechnician(req: Parsed<typeof AddTechnicianRequest>): Promise<AddTechnicianResponse> {
    if (!(await this.store.groups.get(req.group))) throw new RescueError("not_found", `no group "${req.group}"`);
    const existing = await this.store.technicians.byEmail(req.email);
    if (existing) {
      // A removed account keeps its address: the session log still names it.
      const removed = existing.removedAt ? " (removed; the session log keeps the address, so add them under another)" : "";
      throw new RescueError("conflict", `technician ${req.email} already exists${removed}`, { reason: ALREADY_EXISTS });
    }
    const password = generatePassword();
    await this.store.technicians.insert({
      id: newId(),
      email: req.email,
      name: req.name ?? req.email.split("@")[0]!,
      group: req.group,
      admin: req.admin,
      passwordHash: await hashPassword(password),
      createdAt: this.now().toISOString(),
    });
    return { email: req.email, password };
  }

  /** The first admin, in an Administrators group with every permission. Refuses when an admin exists. */
  async initAdmin(email: string): Promise<AddTechnicianResponse> {
    if ((await this.store.technicians.countAdmins()) > 0) {
      throw new RescueError("conflict", "this data folder already has an administrator");
    }
    if (!(await this.store.groups.get(ADMIN_GROUP))) {
      await this.createGroup({ name: ADMIN_GROUP, permissions: [...PERMISSIONS] });
    }
    return this.addTechnician(AddTechnicianRequest.parse({ email, group: ADMIN_GROUP, name: "Administrator", admin: true }));
  }
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

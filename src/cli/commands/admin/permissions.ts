import type { Group } from "../../../protocol/api.js";
import type { Printer } from "../../output.js";

/** "--permission lens,pin,sms" -> ["lens", "pin", "sms"]; the daemon validates the names. */
export function parsePermissions(raw: string): string[] {
  return raw
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
}

/** The settings the flags give, and only those: the server keeps the others as they are. */
export function groupSettings(opts: { pinExpiry?: string; maxTechnicians?: string }): { settings?: { pinExpiryMinutes?: number; maxTechnicians?: number } } {
  const settings = {
    ...(opts.pinExpiry !== undefined ? { pinExpiryMinutes: Number(opts.pinExpiry) } : {}),
    ...(opts.maxTechnicians !== undefined ? { maxTechnicians: Number(opts.maxTechnicians) } : {}),
  };
  return Object.keys(settings).length ? { settings } : {};
}

export function printGroups(out: Printer, groups: Group[]): void {
  out.table(
    groups,
    [
      { header: "name", value: (g) => g.name },
      { header: "pin expiry", value: (g) => `${g.settings.pinExpiryMinutes} min` },
      { header: "max techs", value: (g) => String(g.settings.maxTechnicians) },
      { header: "permissions", value: (g) => g.permissions.join(",") },
    ],
    "no groups",
  );
}

import type { Group } from "../../../protocol/api.js";
import type { Printer } from "../../output.js";

/** "--permission lens,pin,sms" -> ["lens", "pin", "sms"]; the daemon validates the names. */
export function parsePermissions(raw: string): string[] {
  return raw
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
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

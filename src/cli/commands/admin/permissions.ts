import type { Command } from "commander";
import type { Group } from "../../../protocol/api.js";
import type { Printer } from "../../output.js";

/** The flags `admin group create` and `admin group set` share. */
export interface GroupOptions {
  permission?: string;
  pinExpiry?: string;
  maxTechnicians?: string;
  json?: boolean;
}

/** Adds --pin-expiry, --max-technicians and --json: the group settings both verbs take. */
export function groupSettingOptions(cmd: Command): Command {
  return cmd
    .option("--pin-expiry <minutes>", "how long a PIN stays valid")
    .option("--max-technicians <n>", "technicians in one session, the lead included (1-10; 5 unless set)")
    .option("--json", "print the group as JSON");
}

/** "--permission lens,pin,sms" -> ["lens", "pin", "sms"]; the daemon validates the names. */
export function parsePermissions(raw: string): string[] {
  return raw
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
}

/** The settings the flags give, and only those: the server keeps the others as they are. */
export function groupSettings(opts: GroupOptions): { settings?: { pinExpiryMinutes?: number; maxTechnicians?: number } } {
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

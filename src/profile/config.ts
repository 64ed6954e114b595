import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as z from "zod";
import { ownPrivateDir, replacePrivateFile } from "./private-dir.js";

export type TokenStorage = "keychain" | "file";

/** What `rescue login` remembers; the token itself lives in the keychain or the secrets file. */
const ProfileSchema = z.object({
  server: z.string(),
  email: z.string(),
  storage: z.enum(["keychain", "file"]),
  name: z.string().optional(),
  group: z.string().optional(),
});
export type Profile = z.infer<typeof ProfileSchema>;

/**
 * RESCUE_HOME/config.json: `{ "profile": Profile }`, tab-indented as earlier versions (which used
 * the `conf` package) wrote it, 0600 in the 0700 home, replaced whole on every write. Other keys in
 * it are kept. A file that is not JSON or holds a profile of the wrong shape reads as no profile.
 */
function path(home: string): string {
  return join(home, "config.json");
}

function readStore(home: string): Record<string, unknown> {
  ownPrivateDir(home);
  const file = path(home);
  if (!existsSync(file)) return {};
  try {
    const v = JSON.parse(readFileSync(file, "utf8")) as unknown;
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function writeStore(home: string, store: Record<string, unknown>): void {
  replacePrivateFile(path(home), JSON.stringify(store, undefined, "\t"));
}

export function readProfile(home: string): Profile | null {
  const parsed = ProfileSchema.safeParse(readStore(home).profile);
  return parsed.success ? parsed.data : null;
}

export function writeProfile(home: string, profile: Profile): void {
  writeStore(home, { ...readStore(home), profile: ProfileSchema.parse(profile) });
}

export function clearProfile(home: string): void {
  const { profile: _gone, ...rest } = readStore(home);
  writeStore(home, rest);
}

import Conf from "conf";
import { ownPrivateDir } from "./private-dir.js";

export type TokenStorage = "keychain" | "file";

/** What `rescue login` remembers; the token itself lives in the keychain or the secrets file. */
export interface Profile {
  server: string;
  email: string;
  storage: TokenStorage;
  name?: string;
  group?: string;
}

interface Schema {
  profile?: Profile;
}

function open(home: string): Conf<Schema> {
  ownPrivateDir(home);
  return new Conf<Schema>({ cwd: home, configName: "config", configFileMode: 0o600, projectName: "rescue" });
}

export function readProfile(home: string): Profile | null {
  return open(home).get("profile") ?? null;
}

export function writeProfile(home: string, profile: Profile): void {
  open(home).set("profile", profile);
}

export function clearProfile(home: string): void {
  open(home).delete("profile");
}

import { existsSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import type { TokenStorage } from "./config.js";
import { ownPrivateDir, ownSecretFile, replacePrivateFile } from "./private-dir.js";

/** Keychain service name; the account is "SERVER EMAIL" so several profiles can coexist. */
const SERVICE = "rescue";

export function account(server: string, email: string): string {
  return `${server} ${email}`;
}

async function keychainEntry(acct: string) {
  const { Entry } = await import("@napi-rs/keyring");
  return new Entry(SERVICE, acct);
}

/** Told what was tightened around the token file, one message per fix (see guardSecrets). */
export type SecretsWarning = (message: string) => void;

/**
 * Closes the token file and its folder to other users: a secrets.json restored from a backup or
 * copied into a shared home may be 0644, and it holds a bearer token. The file becomes 0600 and
 * the folder (RESCUE_HOME, which holds only the tool's files) 0700. Returns one message per fix,
 * for the caller to show once (the next read finds nothing to fix); none when all was closed.
 */
export function guardSecrets(secretsFile: string): string[] {
  if (!existsSync(secretsFile)) return [];
  const dir = ownPrivateDir(dirname(secretsFile));
  const file = ownSecretFile(secretsFile, "the sign-in token");
  return [...(file ? [file] : []), ...(dir ? [`${dir}, now 0700: it holds the sign-in token`] : [])];
}

function readFile(path: string, warn?: SecretsWarning): Record<string, string> {
  if (!existsSync(path)) return {};
  for (const message of guardSecrets(path)) warn?.(message);
  try {
    const v = JSON.parse(readFileSync(path, "utf8")) as unknown;
    return v && typeof v === "object" ? (v as Record<string, string>) : {};
  } catch {
    return {};
  }
}

function writeFile(path: string, data: Record<string, string>): void {
  ownPrivateDir(dirname(path));
  replacePrivateFile(path, JSON.stringify(data));
}

/**
 * Stores the token in the OS keychain; where none runs (a headless machine without a secret
 * service) it quietly falls back to a 0600 file and says so.
 */
export async function saveToken(secretsFile: string, acct: string, token: string, env = process.env): Promise<TokenStorage> {
  if (env.RESCUE_KEYCHAIN !== "off") {
    try {
      (await keychainEntry(acct)).setPassword(token);
      return "keychain";
    } catch {
      // No usable keychain: use the file below.
    }
  }
  const data = readFile(secretsFile);
  data[acct] = token;
  writeFile(secretsFile, data);
  return "file";
}

/**
 * The token saved for `acct`, or null. From the file, a file open to others is closed first and
 * `warn` told so (guardSecrets).
 */
export async function loadToken(secretsFile: string, acct: string, storage: TokenStorage, warn?: SecretsWarning): Promise<string | null> {
  if (storage === "keychain") {
    try {
      return (await keychainEntry(acct)).getPassword() ?? null;
    } catch {
      return null;
    }
  }
  return readFile(secretsFile, warn)[acct] ?? null;
}

export async function deleteToken(secretsFile: string, acct: string, storage: TokenStorage): Promise<void> {
  if (storage === "keychain") {
    try {
      (await keychainEntry(acct)).deletePassword();
    } catch {
      // Already gone.
    }
    return;
  }
  const data = readFile(secretsFile);
  if (acct in data) {
    delete data[acct];
    writeFile(secretsFile, data);
  }
}

import { existsSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import type { TokenStorage } from "./config.js";
import { ownPrivateDir, replacePrivateFile } from "./private-dir.js";

/** Keychain service name; the account is "SERVER EMAIL" so several profiles can coexist. */
const SERVICE = "rescue";

export function account(server: string, email: string): string {
  return `${server} ${email}`;
}

async function keychainEntry(acct: string) {
  const { Entry } = await import("@napi-rs/keyring");
  return new Entry(SERVICE, acct);
}

function readFile(path: string): Record<string, string> {
  if (!existsSync(path)) return {};
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

export async function loadToken(secretsFile: string, acct: string, storage: TokenStorage): Promise<string | null> {
  if (storage === "keychain") {
    try {
      return (await keychainEntry(acct)).getPassword() ?? null;
    } catch {
      return null;
    }
  }
  return readFile(secretsFile)[acct] ?? null;
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

import { readFileSync, statSync } from "node:fs";
import { createSecureContext } from "node:tls";
import { RescueError } from "../protocol/index.js";

/** Where the server's certificate chain and private key live (PEM); read again on every reload. */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
}

/**
 * Reads the PEM certificate (chain) and key and checks that they load and belong together, so a
 * half-written renewal is refused before it replaces a working certificate. Throws RescueError
 * bad_request naming the file at fault, or forbidden for a key any user may read (group-readable
 * is allowed: root:rescue 0640 is how a renewal hook hands the key over).
 */
export function readTls(files: TlsFiles): TlsMaterial {
  let mode: number | undefined;
  try {
    mode = statSync(files.keyFile).mode & 0o777;
  } catch {
    // Reported by the read below.
  }
  if (mode !== undefined && (mode & 0o007) !== 0) {
    throw new RescueError("forbidden", `the TLS key ${files.keyFile} is readable by every user (mode ${mode.toString(8)}); run: chmod 600 ${files.keyFile}`);
  }
  const read = (file: string, what: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new RescueError("bad_request", `cannot read the TLS ${what} ${file}: ${(err as Error).message}`);
    }
  };
  const material = { cert: read(files.certFile, "certificate"), key: read(files.keyFile, "key") };
  try {
    createSecureContext(material);
  } catch (err) {
    throw new RescueError("bad_request", `the TLS certificate ${files.certFile} and key ${files.keyFile} do not load together: ${(err as Error).message}`);
  }
  return material;
}

import { readFileSync } from "node:fs";
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
 * bad_request naming the file at fault.
 */
export function readTls(files: TlsFiles): TlsMaterial {
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

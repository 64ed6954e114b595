import { execFileSync } from "node:child_process";
import { chmodSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface TestCa {
  /** The CA certificate (PEM file), what NODE_EXTRA_CA_CERTS points to. */
  caFile: string;
  ca: Buffer;
  /**
   * Issues a server certificate for 127.0.0.1 and localhost, written (atomically, as a renewal
   * tool would) to `certFile` and `keyFile`; returns its serial number in hex, upper case.
   */
  issue(certFile: string, keyFile: string, opts?: { ips?: string[] }): string;
}

function openssl(args: string[], cwd: string): string {
  return execFileSync("openssl", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** A private certificate authority made with openssl in `dir`, valid for two days. */
export function makeTestCa(dir: string): TestCa {
  const caKey = join(dir, "ca.key");
  const caFile = join(dir, "ca.pem");
  openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", caKey], dir);
  chmodSync(caKey, 0o600);
  openssl(
    ["req", "-x509", "-new", "-key", caKey, "-out", caFile, "-days", "2", "-subj", "/CN=Rescue Test CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
    dir,
  );
  let n = 0;
  return {
    caFile,
    ca: readFileSync(caFile),
    issue(certFile, keyFile, opts = {}) {
      const stem = join(dir, `leaf-${++n}`);
      const ext = `${stem}.ext`;
      const names = ["IP:127.0.0.1", "DNS:localhost", ...(opts.ips ?? []).map((ip) => `IP:${ip}`)].join(",");
      writeFileSync(ext, `subjectAltName=${names}\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n`);
      const commonName = opts.ips?.[0] ?? "127.0.0.1";
      openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", `${stem}.key`], dir);
      openssl(["req", "-new", "-key", `${stem}.key`, "-out", `${stem}.csr`, "-subj", `/CN=${commonName}`], dir);
      openssl(["x509", "-req", "-in", `${stem}.csr`, "-CA", caFile, "-CAkey", caKey, "-CAcreateserial", "-out", `${stem}.pem`, "-days", "2", "-extfile", ext], dir);
      chmodSync(`${stem}.key`, 0o600);
      const serial = openssl(["x509", "-in", `${stem}.pem`, "-noout", "-serial"], dir).trim().replace(/^serial=/, "");
      renameSync(`${stem}.key`, keyFile);
      renameSync(`${stem}.pem`, certFile);
      return serial.toUpperCase();
    },
  };
}

import nacl from "tweetnacl";
import { expect, test } from "vitest";
import { dtlsEndpoints } from "../helpers/dtls.js";

// patches/werift+0.24.4.patch: the DTLS key exchange's X25519 runs in node:crypto (OpenSSL) instead
// of tweetnacl's JavaScript. Real DTLS endpoints over real UDP on loopback; the keys and the shared
// secret are checked against tweetnacl, an independent implementation of RFC 7748.

const dtls = dtlsEndpoints();

interface KeyPair {
  curve: number;
  privateKey: Buffer;
  publicKey: Buffer;
}
interface Cipher {
  localKeyPair: KeyPair;
  remoteKeyPair: { publicKey: Buffer };
  masterSecret: Buffer;
}

test("a DTLS handshake agrees on X25519 keys that tweetnacl confirms", async () => {
  const { client, makeServer, connected } = await dtls.pair();
  const server = makeServer();
  const serverConnected = new Promise<void>((resolve) => server.onConnect.once(() => resolve()));
  void client.connect();
  await Promise.all([connected, serverConnected]);

  const c = (client as unknown as { cipher: Cipher }).cipher;
  const s = (server as unknown as { cipher: Cipher }).cipher;
  for (const side of [c, s]) {
    expect(side.localKeyPair.curve).toBe(29); // x25519 (RFC 8422)
    expect(side.localKeyPair.privateKey.length).toBe(32);
    // The public key is the private key's, by RFC 7748 as tweetnacl computes it.
    expect(Buffer.from(nacl.scalarMult.base(side.localKeyPair.privateKey)).equals(side.localKeyPair.publicKey)).toBe(true);
  }
  expect(c.remoteKeyPair.publicKey.equals(s.localKeyPair.publicKey)).toBe(true);
  // Both ends derived the same master secret from the shared X25519 secret.
  expect(c.masterSecret.length).toBe(48);
  expect(c.masterSecret.equals(s.masterSecret)).toBe(true);
});

import { createSocket, type Socket } from "node:dgram";
import type { AddressInfo } from "node:net";
import nacl from "tweetnacl";
import { DtlsClient, DtlsServer, createSelfSignedCertificate } from "werift";
import { afterEach, expect, test } from "vitest";

// patches/werift+0.24.4.patch: the DTLS key exchange's X25519 runs in node:crypto (OpenSSL) instead
// of tweetnacl's JavaScript. Real DTLS endpoints over real UDP on loopback; the keys and the shared
// secret are checked against tweetnacl, an independent implementation of RFC 7748.

const sockets: Socket[] = [];
const endpoints: Array<{ close(): void }> = [];
afterEach(() => {
  for (const e of endpoints.splice(0)) e.close();
  for (const s of sockets.splice(0)) s.close();
});

async function udp(): Promise<Socket> {
  const s = createSocket("udp4");
  sockets.push(s);
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", r));
  return s;
}

function transport(socket: Socket, peer: () => number) {
  const t = {
    type: "udp",
    onData: (_data: Buffer) => undefined as unknown,
    send: (data: Buffer) => new Promise<void>((r) => socket.send(data, peer(), "127.0.0.1", () => r())),
    close: () => undefined,
  };
  socket.on("message", (data) => t.onData(data));
  return t;
}

async function certificate() {
  const { certPem, keyPem, signatureHash } = await createSelfSignedCertificate({ signature: 3, hash: 4 } as never, 23 as never);
  return { cert: certPem, key: keyPem, signatureHash };
}

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
  const [a, b] = [await udp(), await udp()];
  const [clientCert, serverCert] = [await certificate(), await certificate()];
  const server = new DtlsServer({
    ...serverCert,
    transport: transport(b, () => (a.address() as AddressInfo).port),
    certificateRequest: true,
    extendedMasterSecret: true,
  } as never);
  const client = new DtlsClient({ ...clientCert, transport: transport(a, () => (b.address() as AddressInfo).port), extendedMasterSecret: true } as never);
  endpoints.push(server, client);
  const serverConnected = new Promise<void>((resolve) => server.onConnect.once(() => resolve()));
  const clientConnected = new Promise<void>((resolve, reject) => {
    client.onConnect.once(() => resolve());
    client.onError.once(reject);
  });
  void client.connect();
  await Promise.all([clientConnected, serverConnected]);

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

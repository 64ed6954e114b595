import { createSocket, type Socket } from "node:dgram";
import type { AddressInfo } from "node:net";
import { DtlsClient, DtlsServer, createSelfSignedCertificate } from "werift";
import { afterEach } from "vitest";

/** One datagram an endpoint sent. */
export interface Sent {
  /** performance.now() when it was handed to the socket (before any delay). */
  at: number;
  /** DTLS handshake type of the first record's message (1 = ClientHello, 3 = HelloVerifyRequest). */
  handshakeType: number | undefined;
}

/** werift's transport shape over a real UDP socket; `delayMs` holds each outgoing datagram back. */
function transport(socket: Socket, peer: () => number, sent: Sent[], delayMs = 0) {
  const t = {
    type: "udp",
    onData: (_data: Buffer) => undefined as unknown,
    send: async (data: Buffer) => {
      sent.push({ at: performance.now(), handshakeType: data[0] === 22 ? data[13] : undefined });
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      await new Promise<void>((r) => socket.send(data, peer(), "127.0.0.1", () => r()));
    },
    close: () => undefined,
  };
  socket.on("message", (data) => t.onData(data));
  return t;
}

async function certificate() {
  // ECDSA (3) with SHA-256 (4) on P-256 (23), as werift's RTCDtlsTransport makes them.
  const { certPem, keyPem, signatureHash } = await createSelfSignedCertificate({ signature: 3, hash: 4 } as never, 23 as never);
  return { cert: certPem, key: keyPem, signatureHash };
}

/**
 * werift DTLS endpoints over real UDP sockets on loopback, closed after each test of the file that
 * calls this at its top. `pair()` gives a client and a `makeServer` that starts the server side when
 * the test wants it (late, to lose the first flight); `connected` resolves with the client's
 * performance.now() at connect.
 */
export function dtlsEndpoints() {
  const sockets: Socket[] = [];
  const endpoints: Array<{ close(): void }> = [];
  afterEach(() => {
    for (const e of endpoints.splice(0)) e.close();
    for (const s of sockets.splice(0)) s.close();
  });
  const udp = async (): Promise<Socket> => {
    const s = createSocket("udp4");
    sockets.push(s);
    await new Promise<void>((r) => s.bind(0, "127.0.0.1", r));
    return s;
  };
  return {
    async pair(serverSendDelayMs = 0) {
      const [a, b] = [await udp(), await udp()];
      const clientSent: Sent[] = [];
      const serverSent: Sent[] = [];
      const clientTransport = transport(a, () => (b.address() as AddressInfo).port, clientSent);
      const serverTransport = transport(b, () => (a.address() as AddressInfo).port, serverSent, serverSendDelayMs);
      const [clientCert, serverCert] = [await certificate(), await certificate()];
      const makeServer = () => {
        const server = new DtlsServer({ ...serverCert, transport: serverTransport, certificateRequest: true, extendedMasterSecret: true } as never);
        endpoints.push(server);
        return server;
      };
      const client = new DtlsClient({ ...clientCert, transport: clientTransport, extendedMasterSecret: true } as never);
      endpoints.push(client);
      const connected = new Promise<number>((resolve, reject) => {
        client.onConnect.once(() => resolve(performance.now()));
        client.onError.once(reject);
      });
      return { client, makeServer, connected, clientSent, serverSent };
    },
  };
}

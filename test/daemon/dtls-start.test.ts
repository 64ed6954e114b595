import { createSocket, type Socket } from "node:dgram";
import type { AddressInfo } from "node:net";
import { DtlsClient, DtlsServer, createSelfSignedCertificate } from "werift";
import { afterEach, expect, test } from "vitest";

// patches/werift+0.24.4.patch: werift's DTLS client no longer waits a fixed 100 ms before its first
// flight. It sends at once and retransmits the first flight quickly (25, 50, 100, 200 ms, then the
// usual 0.5 s, 1 s, ...), for the peer that is not listening yet; the answers to the duplicates are
// ignored. Real DTLS endpoints over real UDP on loopback.

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

interface Sent {
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

async function endpoints2(serverSendDelayMs = 0) {
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
}

test("a first flight sent before the peer listens is recovered by a quick retransmit, long before the stock 0.5 s one", async () => {
  const { client, makeServer, connected, clientSent } = await endpoints2();
  const start = performance.now();
  void client.connect();
  // The peer's DTLS starts 40 ms later (its ICE completes after ours): the first ClientHello is lost.
  await new Promise((r) => setTimeout(r, 40));
  const listening = performance.now();
  makeServer();
  await connected;
  const hellos = clientSent.filter((s) => s.handshakeType === 1);
  expect(hellos[0]!.at - start).toBeLessThan(1_000); // sent at once, not after a fixed wait (generous: busy machine)
  // The ClientHello that got through is the first sent after the server listened. Stock werift's
  // next send comes 500 ms after the first; the quick schedule's within about 75 ms.
  const recovered = clientSent.find((s) => s.handshakeType === 1 && s.at >= listening)!;
  expect(recovered.at - hellos[0]!.at).toBeLessThan(400);
});

test("duplicate answers to the quickly retransmitted first flight do not break the handshake", async () => {
  // The server's answers take 150 ms: the client retransmits its ClientHello meanwhile (25, 75 ms),
  // the server answers each with a HelloVerifyRequest, and the client must ignore the extras.
  const { client, makeServer, connected, serverSent } = await endpoints2(150);
  makeServer();
  void client.connect();
  await connected;
  expect(serverSent.filter((s) => s.handshakeType === 3).length).toBeGreaterThanOrEqual(2);
});

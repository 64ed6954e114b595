import { expect, test } from "vitest";
import { dtlsEndpoints } from "../helpers/dtls.js";

// patches/werift+0.24.4.patch: werift's DTLS client no longer waits a fixed 100 ms before its first
// flight. It sends at once and retransmits the first flight quickly (25, 50, 100, 200 ms, then the
// usual 0.5 s, 1 s, ...), for the peer that is not listening yet; the answers to the duplicates are
// ignored. Real DTLS endpoints over real UDP on loopback.

const dtls = dtlsEndpoints();

test("a first flight sent before the peer listens is recovered by a quick retransmit, long before the stock 0.5 s one", async () => {
  const { client, makeServer, connected, clientSent } = await dtls.pair();
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
  const { client, makeServer, connected, serverSent } = await dtls.pair(150);
  makeServer();
  void client.connect();
  await connected;
  expect(serverSent.filter((s) => s.handshakeType === 3).length).toBeGreaterThanOrEqual(2);
});

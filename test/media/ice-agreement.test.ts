import { afterEach, describe, expect, it } from "vitest";
import { connectedPair } from "./helpers.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

type Pair = { localCandidate: { host: string; port: number }; remoteCandidate: { host: string; port: number } };
const selected = (pc: { iceTransports: Array<{ connection: { nominated?: unknown } }> }): Pair => pc.iceTransports[0]!.connection.nominated as Pair;
const addr = (c: { host: string; port: number }): string => `${c.host}:${c.port}`;

describe("ICE nomination (RFC 8445 section 8.1.1, regular nomination)", () => {
  // The customer's agent is controlling. If it nominates every pair it checks (aggressive
  // nomination, RFC 5245 only), each side keeps the first nominated pair it sees, and with several
  // candidates (IPv4 and IPv6 here) they often keep different ones: media then arrives on one
  // 5-tuple while NACK, PLI and consent checks leave on another, and `session stats` names the
  // wrong route. With regular nomination the controlling agent nominates one pair and both use it.
  it("both agents select the same candidate pair, connection after connection", async () => {
    const rounds = 6;
    const seen: string[] = [];
    for (let i = 0; i < rounds; i++) {
      const { customer, technician } = await connectedPair();
      cleanups.push(() => customer.close(), async () => void (await technician.close()));
      const c = selected(customer.pc);
      const t = selected(technician.pc);
      expect(c, "the customer selected a pair").toBeDefined();
      expect(t, "the technician selected a pair").toBeDefined();
      seen.push(`${addr(c.localCandidate)} -> ${addr(c.remoteCandidate)} | ${addr(t.remoteCandidate)} <- ${addr(t.localCandidate)}`);
      expect({ customerSendsFrom: addr(c.localCandidate), customerSendsTo: addr(c.remoteCandidate) }, seen.join("\n")).toEqual({
        customerSendsFrom: addr(t.remoteCandidate),
        customerSendsTo: addr(t.localCandidate),
      });
    }
  }, 60_000);
});

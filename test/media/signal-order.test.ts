import { afterEach, describe, expect, it } from "vitest";
import { CustomerPeer } from "../../src/customer/peer.js";
import type { Signal } from "../../src/protocol/index.js";
import { sleep } from "./helpers.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

describe("the simulated customer's signalling order", () => {
  // JSEP (RFC 8829 section 3.5.1): candidates belong to a description and follow it. werift gathers
  // inside setLocalDescription, so its candidates were emitted before the offer could be, and
  // the technician's daemon dropped them ("before its offer: ignored").
  it("sends its offer first and every candidate after it", async () => {
    const customer = new CustomerPeer({ iceServers: [], loopback: true });
    cleanups.push(() => customer.close());
    const signals: Signal[] = [];
    customer.on("signal", (s: Signal) => signals.push(s));
    await customer.start();
    await sleep(300);
    expect(signals[0]?.kind).toBe("offer");
    const candidates = signals.filter((s) => s.kind === "candidate");
    expect(candidates.length).toBeGreaterThan(0);
    expect(signals.slice(1).every((s) => s.kind === "candidate")).toBe(true);
  });
});

import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { openCustomerWs, serverPerTest, type TestServer } from "../helpers/server.js";

const each = serverPerTest();
let server: TestServer | undefined;
const opened: Socket[] = [];
const timers: NodeJS.Timeout[] = [];
afterEach(() => {
  for (const t of timers.splice(0)) clearInterval(t);
  for (const s of opened.splice(0)) s.destroy();
});

/** A raw TCP connection from `localAddress`; `closed` resolves with what the server sent before it hung up. */
async function raw(localAddress: string): Promise<{ socket: Socket; closed: Promise<string> }> {
  const port = Number(new URL(server!.url).port);
  const socket = connect({ host: "127.0.0.1", port, localAddress });
  opened.push(socket);
  let received = "";
  socket.on("data", (d) => (received += d.toString()));
  socket.on("error", () => undefined);
  const closed = new Promise<string>((resolve) => socket.on("close", () => resolve(received)));
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  return { socket, closed };
}

/** Writes one byte every `everyMs` while the socket is open, as a slowloris client does. */
function trickle(socket: Socket, everyMs: number): void {
  const t = setInterval(() => (socket.writable ? socket.write("x") : clearInterval(t)), everyMs);
  timers.push(t);
}

const within = <T>(p: Promise<T>, ms: number) => Promise.race([p, new Promise<"open">((r) => setTimeout(() => r("open"), ms))]);

describe("slow and greedy clients", () => {
  it("connections that trickle a body or headers are cut after the request timeout, and others are served meanwhile", async () => {
    server = await each.start({ limits: { http: { requestTimeoutMs: 2_000, headersTimeoutMs: 1_000 } } });
    const attackers = [];
    for (let i = 0; i < 20; i++) {
      const c = await raw("127.0.0.5");
      if (i % 2) c.socket.write("POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{");
      else c.socket.write("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ");
      trickle(c.socket, 300);
      attackers.push(c);
    }
    expect((await fetch(`${server.url}/pin`)).status).toBe(200);
    // Generous: the timeout is 2 s, node checks it every 500 ms, the machine may be busy.
    const outcomes = await Promise.all(attackers.map((a) => within(a.closed, 30_000)));
    expect(outcomes.filter((o) => o === "open")).toHaveLength(0);
    // The slow bodies were answered 408 before the cut.
    expect(outcomes.filter((o) => o.startsWith("HTTP/1.1 408")).length).toBeGreaterThanOrEqual(10);
  }, 60_000);

  it("one source cannot hold more than its share of connections; another source is served", async () => {
    server = await each.start({ limits: { http: { maxConnectionsPerSource: 16 } } });
    const held = [];
    for (let i = 0; i < 40; i++) held.push(await raw("127.0.0.6"));
    const states = await Promise.all(held.map((h) => within(h.closed, 2_000)));
    expect(states.filter((s) => s === "open")).toHaveLength(16);
    // WebSocket upgrades count too: the 17th from that source is refused, a customer elsewhere connects.
    await expect(openCustomerWs(server, { localAddress: "127.0.0.6" })).rejects.toThrow();
    const customer = await openCustomerWs(server, { localAddress: "127.0.0.7" });
    await customer.close();
    expect((await fetch(`${server.url}/pin`)).status).toBe(200);
  });
});

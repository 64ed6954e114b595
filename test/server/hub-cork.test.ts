import type { AddressInfo, Socket } from "node:net";
import Fastify from "fastify";
import { afterEach, expect, test } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
import type { ServerToTechnician } from "../../src/protocol/index.js";
import { Hub } from "../../src/server/ws/hub.js";
import { UNCORK_SLICE } from "../../src/server/ws/local-sockets.js";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A hub with one technician socket over real loopback TCP; counts the server socket's writes to the kernel. */
async function connected() {
  const hub = new Hub(Fastify().log);
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise((r) => wss.once("listening", r));
  cleanups.push(() => new Promise((r) => wss.close(r)));
  const serverSide = new Promise<WebSocket>((r) => wss.once("connection", r));
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  cleanups.push(() => client.terminate());
  const received: string[] = [];
  client.on("message", (d) => received.push(String(d)));
  await new Promise((r) => client.once("open", r));
  const ws = await serverSide;
  hub.addTechnician("t1", "hash", ws).ready();
  // Every write a stream hands to the kernel goes through _write (one chunk) or _writev (several).
  const tcp = (ws as unknown as { _socket: Socket & { _write: Function; _writev: Function } })._socket;
  const writes = { count: 0 };
  for (const method of ["_write", "_writev"] as const) {
    const original = tcp[method].bind(tcp);
    tcp[method] = (...args: unknown[]) => (writes.count++, original(...args));
  }
  return { hub, received, writes, ws };
}

const push = (i: number) => ({ type: "customer-media", sessionId: `s${i}`, event: "screen-share-stopped" }) as ServerToTechnician;

test("pushes to one socket within one turn of the event loop leave in one write, all of them, in order", async () => {
  const { hub, received, writes } = await connected();
  for (let i = 0; i < 50; i++) hub.toTechnician("t1", push(i));
  await expect.poll(() => received.length, { timeout: 10_000 }).toBe(50);
  expect(received.map((m) => JSON.parse(m).sessionId)).toEqual(Array.from({ length: 50 }, (_, i) => `s${i}`));
  // Without corking, ws writes each frame separately: 50 writes.
  expect(writes.count).toBe(1);
});

test("pushes in later turns are not held back: each arrives before the next is sent", async () => {
  const { hub, received, writes } = await connected();
  for (let i = 0; i < 5; i++) {
    hub.toTechnician("t1", push(i));
    await expect.poll(() => received.length, { timeout: 10_000 }).toBe(i + 1);
  }
  expect(writes.count).toBe(5);
  // Messages are text frames, as before (the hub encodes once and sends the bytes as text).
  expect(JSON.parse(received[4]!)).toEqual(push(4));
});

test("frames of every header size arrive whole and in order, between the frames ws sends itself", async () => {
  const { hub, received, ws } = await connected();
  // Payload lengths around the 7-bit, 16-bit and 64-bit length forms, with multi-byte characters.
  const texts = [0, 1, 100, 125, 126, 127, 1000, 65_535, 65_536, 200_000].map((n, i) => `${i}:${"é".repeat(n >> 1)}${"x".repeat(n & 1)}`);
  const sent: string[] = [];
  for (const [i, text] of texts.entries()) {
    const message = { type: "error", code: "conflict", message: text } as ServerToTechnician;
    hub.toTechnician("t1", message);
    sent.push(JSON.stringify(message));
    // ws's own frames on the same socket in the same turn keep their place.
    ws.send(`own ${i}`);
    sent.push(`own ${i}`);
  }
  await expect.poll(() => received.length, { timeout: 20_000 }).toBe(sent.length);
  expect(received).toEqual(sent);
});

test("a push to many sockets is released a slice at a time, so the event loop gets back in between; pushes meanwhile join the held writes", async () => {
  const hub = new Hub(Fastify().log);
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise((r) => wss.once("listening", r));
  cleanups.push(() => new Promise((r) => wss.close(r)));
  const SOCKETS = UNCORK_SLICE * 4 + 7;
  const accepted: WebSocket[] = [];
  wss.on("connection", (ws) => accepted.push(ws));
  const received = new Map<number, string[]>();
  await Promise.all(
    Array.from({ length: SOCKETS }, async (_, i) => {
      const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
      cleanups.push(() => client.terminate());
      received.set(i, []);
      client.on("message", (d) => received.get(i)!.push(String(d)));
      await new Promise((r) => client.once("open", r));
    }),
  );
  await expect.poll(() => accepted.length).toBe(SOCKETS);
  let writes = 0;
  // One technician per socket (a technician has one connection): a session change reaches many at once.
  const technicians = accepted.map((_, i) => `t${i}`);
  for (const [i, ws] of accepted.entries()) {
    hub.addTechnician(technicians[i]!, "hash", ws).ready();
    const tcp = (ws as unknown as { _socket: Socket & { _write: Function; _writev: Function } })._socket;
    for (const method of ["_write", "_writev"] as const) {
      const original = tcp[method].bind(tcp);
      tcp[method] = (...args: unknown[]) => (writes++, original(...args));
    }
  }

  for (const t of technicians) hub.toTechnician(t, push(1));
  // Runs right after the first slice: the rest are still held.
  const afterFirstSlice = await new Promise<number>((r) => setImmediate(() => r(writes)));
  expect(afterFirstSlice).toBe(UNCORK_SLICE);
  // A second push now goes out with the first to every socket not yet released.
  for (const t of technicians) hub.toTechnician(t, push(2));
  await expect.poll(() => [...received.values()].every((m) => m.length === 2), { timeout: 20_000 }).toBe(true);
  for (const messages of received.values()) expect(messages.map((m) => JSON.parse(m).sessionId)).toEqual(["s1", "s2"]);
  // Released sockets write again for the second push; held ones wrote both at once.
  expect(writes).toBe(SOCKETS + UNCORK_SLICE);
});

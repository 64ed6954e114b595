import type { AddressInfo, Socket } from "node:net";
import Fastify from "fastify";
import { afterEach, expect, test } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
import type { ServerToTechnician } from "../../src/protocol/index.js";
import { Hub } from "../../src/server/ws/hub.js";

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
  return { hub, received, writes };
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

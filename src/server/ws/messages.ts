import type { RawData, WebSocket } from "ws";
import type * as z from "zod";
import { RescueError, WS_CLOSE, describeIssue } from "../../protocol/index.js";
import type { BucketStore, Rate } from "../limits/buckets.js";

/** A close reason fits in 123 bytes. */
export function closeWith(ws: WebSocket, code: number, reason: string): void {
  let r = reason;
  while (Buffer.byteLength(r) > 123) r = r.slice(0, -1);
  ws.close(code, r);
}

/**
 * Parses one text message with a schema; a malformed one closes the socket with badMessage and
 * the first problem, naming unknown fields as the HTTP routes do (every message schema is strict).
 */
export function parseMessage<S extends z.ZodType>(ws: WebSocket, schema: S, data: RawData, isBinary: boolean): z.infer<S> | undefined {
  if (isBinary) {
    closeWith(ws, WS_CLOSE.badMessage, "messages are JSON text");
    return undefined;
  }
  let json: unknown;
  try {
    json = JSON.parse(String(data));
  } catch {
    closeWith(ws, WS_CLOSE.badMessage, "malformed JSON");
    return undefined;
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    closeWith(ws, WS_CLOSE.badMessage, `invalid message: ${issue ? describeIssue(issue, "message") : "rejected"}`);
    return undefined;
  }
  return parsed.data;
}

/** An `error` message for a refused but well-formed request; nothing else changes. */
export function errorMessage(err: unknown): { type: "error"; code: string; message: string } {
  if (err instanceof RescueError) return { type: "error", code: err.code, message: err.message };
  return { type: "error", code: "internal", message: "internal error" };
}

/**
 * Handles messages one at a time, in arrival order. `arrivedAt` is performance.now() (ms) when the
 * message was read, before it waited for the ones ahead of it.
 */
export function inOrder(handle: (data: RawData, isBinary: boolean, arrivedAt: number) => Promise<void>, onError: (err: unknown) => void) {
  let chain = Promise.resolve();
  return (data: RawData, isBinary: boolean) => {
    const arrivedAt = performance.now();
    chain = chain.then(() => handle(data, isBinary, arrivedAt)).catch(onError);
  };
}

let sockets = 0;

/**
 * One socket's budget of messages (limits.socketMessages): the returned function takes one and
 * closes the socket with rateLimited once the client floods; true while within the budget.
 * `flooded` is called once, at the message that spent the budget: the messages already read behind
 * it are refused without a token taken or a line logged each (a flood of 300 is one log line).
 */
export function messageBudget(ws: WebSocket, buckets: BucketStore, rate: Rate, flooded: () => void): () => Promise<boolean> {
  const key = `ws:${++sockets}`;
  let over = false;
  return async () => {
    if (over) return false;
    if (await buckets.take(key, rate)) return true;
    over = true;
    closeWith(ws, WS_CLOSE.rateLimited, "too many messages");
    flooded();
    return false;
  };
}

import { Redis } from "ioredis";
import { RescueError } from "../../protocol/index.js";
import { checkRedisUrl, RECONNECT_MAX_MS, redactedUrl } from "./redis-url.js";

/**
 * A connected ioredis client. Commands fail at once while the connection is down (no offline
 * queue), so a node answers from what it knows locally instead of hanging; ioredis reconnects
 * by itself and a subscriber subscribes again. Rejects (message without the password) when
 * Redis cannot be reached within `connectTimeoutMs`.
 */
export async function connectRedis(url: string, name: string, connectTimeoutMs = 5_000): Promise<Redis> {
  const client = new Redis(checkRedisUrl(url), {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: connectTimeoutMs,
    // A Redis that hangs (rather than refuses) fails commands too, instead of holding requests.
    commandTimeout: 3_000,
    connectionName: name,
    retryStrategy: (times) => Math.min(times * 100, RECONNECT_MAX_MS),
  });
  // Errors are reported by the commands that fail; the event itself must have a listener.
  client.on("error", () => undefined);
  try {
    await client.connect();
  } catch (err) {
    client.disconnect();
    throw new RescueError("unavailable", `cannot reach Redis at ${redactedUrl(url)}: ${err instanceof Error ? err.message.replaceAll(url, redactedUrl(url)) : String(err)}`);
  }
  return client;
}

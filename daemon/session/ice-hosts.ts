import { isIP } from "node:net";

/**
 * RESCUE_ICE_HOST_ADDRESSES=A,B: local addresses the daemon's peers gather as ICE host candidates
 * on top of what werift finds by itself, for hosts where the customer can reach only one of
 * several interfaces (a test's network namespace, a container bridge). Entries that are not IP
 * addresses are returned apart, for the log.
 */
export function iceHostAddresses(env: NodeJS.ProcessEnv): { addresses: string[]; invalid: string[] } {
  const entries = (env.RESCUE_ICE_HOST_ADDRESSES ?? "").split(",").map((a) => a.trim()).filter((a) => a.length > 0);
  return { addresses: entries.filter((a) => isIP(a) !== 0), invalid: entries.filter((a) => isIP(a) === 0) };
}

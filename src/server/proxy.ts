import type { IncomingMessage } from "node:http";
import proxyaddr from "@fastify/proxy-addr";
import ipaddr from "ipaddr.js";

/** Whether the hop at `addr` is a proxy whose X-Forwarded-For is believed; false: none is. */
export type TrustProxy = ((addr: string, hop: number) => boolean) | false;

const NAMED = new Set(["loopback", "linklocal", "uniquelocal"]);

/**
 * The --trust-proxy list compiled: IPv4 and IPv6 addresses and CIDRs ("10.0.0.0/8",
 * "fd00::/8"), or proxy-addr's names loopback, linklocal, uniquelocal. An empty list trusts
 * nobody. Throws an Error naming the first entry that is none of these.
 */
export function trustProxy(list: readonly string[]): TrustProxy {
  const entries = list.flatMap((item) => item.split(",")).map((e) => e.trim()).filter(Boolean);
  if (entries.length === 0) return false;
  for (const e of entries) {
    if (!NAMED.has(e) && !ipaddr.isValid(e) && !ipaddr.isValidCIDR(e)) throw new Error(`not an address or CIDR: "${e}"`);
  }
  return proxyaddr.compile(entries);
}

/**
 * The client's address: the socket's peer, or, when that peer is a trusted proxy, the nearest
 * address in X-Forwarded-For that is not one (the same rule as fastify's request.ip).
 */
export function clientAddress(req: IncomingMessage, trust: TrustProxy): string {
  if (!trust) return req.socket.remoteAddress ?? "unknown";
  return proxyaddr(req, trust);
}

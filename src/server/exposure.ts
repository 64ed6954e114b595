import { isIP } from "node:net";
import ipaddr from "ipaddr.js";

/** True for loopback hosts: localhost names, 127.0.0.0/8, ::1 (and its IPv4-mapped forms). */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (bare === "localhost" || bare.endsWith(".localhost")) return true;
  if (!isIP(bare)) return false;
  const addr = ipaddr.process(bare);
  return addr.range() === "loopback";
}

/**
 * Why customer links would not work from where the server listens, or undefined when they may:
 * a server reachable from other machines (any non-loopback `host`) whose `publicUrl` is plain
 * http:// (browsers grant the camera only on HTTPS pages) or names a loopback host (a customer's
 * phone would open its own machine).
 */
export function publicUrlProblem(host: string, publicUrl: string): string | undefined {
  if (isLoopback(host)) return undefined;
  let url: URL;
  try {
    url = new URL(publicUrl);
  } catch {
    return `the public URL ${publicUrl} is not a URL`;
  }
  if (isLoopback(url.hostname)) {
    return `listening on ${host} but customer links point to ${url.origin}, a loopback address no customer can reach: pass --public-url https://NAME`;
  }
  if (url.protocol !== "https:") {
    return `listening on ${host} but customer links use ${url.origin}: browsers grant the camera only on HTTPS pages, so customers cannot stream; pass --tls-cert/--tls-key or put an HTTPS proxy in front and pass --public-url https://NAME`;
  }
  return undefined;
}

/**
 * Why `value` cannot be the base of customer links, or undefined when it can: it must be an
 * absolute http:// or https:// URL with a host, and no user, password, query or fragment, since
 * paths such as /m/PIN are appended to it and it is sent to customers in SMS and email.
 */
export function publicUrlSyntaxProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `"${value}" is not a URL; give the address customers open, e.g. https://rescue.example.com`;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return `"${value}" is not an http:// or https:// URL`;
  if (!url.hostname) return `"${value}" names no host`;
  if (url.username || url.password) return `"${value}" carries a user or password: customers would receive it`;
  if (url.search || url.hash) return `"${value}" has a query or fragment: customer links append paths to it`;
  return undefined;
}

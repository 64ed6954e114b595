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

import ipaddr from "ipaddr.js";

/**
 * The key a client address is counted under: an IPv4 address as it is (an IPv4-mapped IPv6
 * address counts as its IPv4 one), an IPv6 address by its /64 prefix, since one host or home
 * network is given a whole /64 and can pick any address in it. Anything unparsable counts as
 * itself. Example: "2001:db8:1:2:aa::1" -> "2001:db8:1:2::/64".
 */
export function sourceOf(address: string): string {
  if (!ipaddr.isValid(address)) return address;
  const ip = ipaddr.process(address);
  if (ip.kind() === "ipv4") return ip.toString();
  const parts = (ip as ipaddr.IPv6).parts.slice(0, 4);
  return `${new ipaddr.IPv6([...parts, 0, 0, 0, 0]).toString()}/64`;
}

/** Peers on one machine must gather 127.0.0.1 too: werift leaves loopback out by default. */
export function isLoopbackUrl(url: string | null): boolean {
  if (!url) return false;
  const host = new URL(url).hostname;
  return host === "localhost" || host === "[::1]" || host.startsWith("127.");
}

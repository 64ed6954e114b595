import * as z from "zod";

/**
 * Daemon settings from the environment (read once at start):
 *   RESCUE_ICE_HOST_ADDRESSES=ADDR[,ADDR...]  more local addresses the daemon's WebRTC peers
 *     offer as host candidates, beside those of the machine's interfaces: e.g. the address of
 *     a veth or VPN interface a customer's browser can reach that is not gathered on its own.
 *   RESCUE_HEARTBEAT_MS=N  ping interval towards the server (default 15000); a server that
 *     answers no ping for twice that is taken as gone and reconnected to.
 */
export interface DaemonSettings {
  iceHostAddresses: string[];
  heartbeatMs: number | undefined;
}

const Addresses = z.array(z.union([z.ipv4(), z.ipv6()], { error: (i) => `${String(i.input)} is not an IP address` }));

/** The settings, or an Error naming the variable and what is wrong with it. */
export function daemonSettings(env: Record<string, string | undefined>): DaemonSettings {
  const raw = env.RESCUE_ICE_HOST_ADDRESSES ?? "";
  const parsed = Addresses.safeParse(
    raw
      .split(",")
      .map((a) => a.trim())
      .filter(Boolean),
  );
  if (!parsed.success) throw new Error(`RESCUE_ICE_HOST_ADDRESSES: ${parsed.error.issues.map((i) => i.message).join("; ")}`);
  const heartbeat = env.RESCUE_HEARTBEAT_MS;
  const heartbeatMs = heartbeat === undefined || heartbeat === "" ? undefined : Number(heartbeat);
  if (heartbeatMs !== undefined && !(Number.isInteger(heartbeatMs) && heartbeatMs >= 100)) {
    throw new Error(`RESCUE_HEARTBEAT_MS: ${heartbeat} is not a whole number of milliseconds of at least 100`);
  }
  return { iceHostAddresses: parsed.data, heartbeatMs };
}

import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A private network namespace joined to this one by a veth pair, so a browser inside it has a
 * non-loopback address (Chrome gathers no loopback ICE candidates). Addresses come from the
 * TEST-NET-2 range (198.51.100.0/24) in a random /30, so parallel runs rarely collide; traffic
 * never leaves the machine.
 */
export interface NetNs {
  name: string;
  /** Address of the veth end in this (the test's) namespace: servers listen here. */
  hostAddress: string;
  /** Address inside the namespace: the browser's. */
  nsAddress: string;
  /** An executable that runs `program` with its arguments inside the namespace. */
  wrapper(program: string): string;
  close(): void;
}

const ip = (...args: string[]) => execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });

/** Why network namespaces cannot be made here, or undefined when they can. */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return "needs root to create a network namespace";
  if (!existsSync("/usr/sbin/ip") && !existsSync("/sbin/ip") && !existsSync("/usr/bin/ip")) return "needs iproute2 (ip)";
  return undefined;
}

/**
 * `hostInterfacePrefix` names this side's interface: "veth" makes it one that WebRTC stacks
 * (werift, Chrome) leave out of their own host candidates, as on a machine with containers.
 */
export function createNetns(opts: { hostInterfacePrefix?: string } = {}): NetNs {
  const tag = `${process.pid % 10000}${Math.floor(Math.random() * 1000)}`;
  const name = `rescue-${tag}`;
  const hostIf = `${opts.hostInterfacePrefix ?? "vh"}${tag}`;
  const nsIf = `vn${tag}`;
  const block = 4 * (1 + Math.floor(Math.random() * 62));
  const hostAddress = `198.51.100.${block + 1}`;
  const nsAddress = `198.51.100.${block + 2}`;
  const dir = mkdtempSync(join(tmpdir(), "rescue-netns-"));

  const close = () => {
    try {
      ip("link", "del", hostIf);
    } catch {
      // Already gone with the namespace.
    }
    try {
      ip("netns", "del", name);
    } catch {
      // Never made.
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    ip("netns", "add", name);
    ip("link", "add", hostIf, "type", "veth", "peer", "name", nsIf);
    ip("link", "set", nsIf, "netns", name);
    ip("addr", "add", `${hostAddress}/30`, "dev", hostIf);
    ip("link", "set", hostIf, "up");
    ip("netns", "exec", name, "ip", "addr", "add", `${nsAddress}/30`, "dev", nsIf);
    ip("netns", "exec", name, "ip", "link", "set", nsIf, "up");
    ip("netns", "exec", name, "ip", "link", "set", "lo", "up");
  } catch (err) {
    close();
    throw err;
  }

  return {
    name,
    hostAddress,
    nsAddress,
    wrapper(program) {
      const file = join(dir, `${program.split("/").pop()}-in-${name}`);
      writeFileSync(file, `#!/bin/sh\nexec ip netns exec ${name} ${program} "$@"\n`);
      chmodSync(file, 0o700);
      return file;
    },
    close,
  };
}

import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** Socket inodes listed in /proc/net/<table> (udp, udp6, tcp ...): the kernel's view, Linux only. */
function inodes(table: string): Set<string> {
  const out = new Set<string>();
  let text: string;
  try {
    text = readFileSync(`/proc/net/${table}`, "utf8");
  } catch {
    return out;
  }
  // Columns: sl local rem st tx:rx tr:tm retrnsmt uid timeout inode ...
  for (const line of text.split("\n").slice(1)) {
    const inode = line.trim().split(/\s+/)[9];
    if (inode) out.add(inode);
  }
  return out;
}

/**
 * How many UDP sockets (IPv4 and IPv6) process `pid` holds open now: its /proc/PID/fd entries
 * matched against /proc/net/udp{,6}. Throws when the process is gone.
 */
export function udpSocketCount(pid: number): number {
  const udp = new Set([...inodes("udp"), ...inodes("udp6")]);
  let n = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed between the listing and the look
    }
    const m = /^socket:\[(\d+)\]$/.exec(target);
    if (m && udp.has(m[1]!)) n++;
  }
  return n;
}

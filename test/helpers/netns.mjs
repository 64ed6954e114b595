// Network namespaces for tests and benchmarks (plain JavaScript so that bench/*.mjs can use them
// too; types in netns.d.mts).
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";

const ip = (...args) => execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });

/** Why network namespaces cannot be made here, or undefined when they can. */
export function netnsUnavailable() {
  if (process.getuid?.() !== 0) return "needs root to create a network namespace";
  if (!existsSync("/usr/sbin/ip") && !existsSync("/sbin/ip") && !existsSync("/usr/bin/ip")) return "needs iproute2 (ip)";
  return undefined;
}

/** Why `setLoss` cannot drop packets here (no `nft`), or undefined when it can. */
export function lossUnavailable() {
  try {
    execFileSync("nft", ["--version"], { stdio: "ignore" });
    return undefined;
  } catch {
    return "needs nft (Debian's nftables) for a lossy link";
  }
}

/**
 * A private network namespace joined to this one by a veth pair, so a browser inside it has a
 * non-loopback address (Chrome gathers no loopback ICE candidates). Addresses come from the
 * TEST-NET-2 range (198.51.100.0/24), one /30 per namespace, claimed through a lock file so that
 * parallel runs never share one (two routes for one subnet break both); traffic never leaves the
 * machine. `hostInterfacePrefix` names this side's interface: "veth" makes it one that WebRTC
 * stacks (werift, Chrome) leave out of their own host candidates, as on a machine with containers.
 */
export function createNetns(opts = {}) {
  // A tag no namespace has yet (another run, or one left behind, may hold a name).
  let tag;
  do tag = `${process.pid % 10000}${Math.floor(Math.random() * 1000)}`;
  while (existsSync(`/run/netns/rescue-${tag}`));
  const name = `rescue-${tag}`;
  const hostIf = `${opts.hostInterfacePrefix ?? "vh"}${tag}`;
  const nsIf = `vn${tag}`;
  const { block, release } = claimBlock();
  const hostAddress = `198.51.100.${block + 1}`;
  const nsAddress = `198.51.100.${block + 2}`;
  const dir = mkdtempSync(join(tmpdir(), "rescue-netns-"));

  const lossTable = `rescue_loss_${tag}`;
  const nftHost = (...args) => execFileSync("nft", args, { stdio: ["ignore", "ignore", "pipe"] });
  const dropLoss = () => {
    try {
      nftHost("delete", "table", "netdev", lossTable);
    } catch {
      // No loss set.
    }
  };
  const close = () => {
    dropLoss();
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
    release();
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
    nsInterface: nsIf,
    wrapper(program) {
      const file = join(dir, `${program.split("/").pop()}-in-${name}`);
      writeFileSync(file, `#!/bin/sh\nexec ip netns exec ${name} ${program} "$@"\n`);
      chmodSync(file, 0o700);
      return file;
    },
    setLink(up) {
      // The host side: its peer inside the namespace loses carrier too, and keeps its address.
      ip("link", "set", hostIf, up ? "up" : "down");
    },
    setLoss(percent) {
      // Random drop of UDP leaving the namespace (the customer's media, RTCP, STUN and DTLS), where
      // the sender cannot see it: at the ingress of the host's end of the veth, as a lossy network
      // does. (Dropped in the namespace's own output hook, sendto() fails with EPERM, and Chrome
      // sends such a packet again at once: of 7% dropped there, about 0.5% was lost on the wire.)
      // nf_tables in the netdev family: netem is not in every kernel.
      dropLoss();
      if (percent <= 0) return;
      nftHost("add", "table", "netdev", lossTable);
      nftHost("add", "chain", "netdev", lossTable, "in", `{ type filter hook ingress device ${hostIf} priority 0; }`);
      nftHost("add", "rule", "netdev", lossTable, "in", "ip", "protocol", "udp", "counter");
      nftHost("add", "rule", "netdev", lossTable, "in", "ip", "protocol", "udp", "numgen", "random", "mod", "10000", "<", String(Math.round(percent * 100)), "counter", "drop");
    },
    lossCounts() {
      let listed;
      try {
        listed = execFileSync("nft", ["list", "table", "netdev", lossTable], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      } catch {
        return { packets: 0, dropped: 0 };
      }
      const [packets = 0, dropped = 0] = [...listed.matchAll(/counter packets (\d+)/g)].map((m) => Number(m[1]));
      return { packets, dropped };
    },
    strandTcp(port) {
      // The TCP connections open now from the namespace to hostAddress:port lose every packet, both
      // ways, from now on; new connections (other local ports) go through. A phone whose network
      // changed under it is left so: no reset, no error, a socket that looks open.
      const out = execFileSync("ip", ["netns", "exec", name, "ss", "-Htn", "state", "established", "dst", `${hostAddress}:${port}`], { encoding: "utf8" });
      // Each line: Recv-Q Send-Q Local:Port Peer:Port (no State column with a state filter).
      const local = out.split("\n").filter((l) => l.trim() !== "").map((l) => l.trim().split(/\s+/).at(-2) ?? "");
      const ports = [...new Set(local.map((a) => a.slice(a.lastIndexOf(":") + 1)).filter((p) => /^\d+$/.test(p)))];
      if (ports.length === 0) return [];
      const nft = (...args) => execFileSync("ip", ["netns", "exec", name, "nft", ...args], { stdio: ["ignore", "ignore", "pipe"] });
      const set = `{ ${ports.join(", ")} }`;
      try {
        nft("add", "table", "inet", "rescue_strand");
        nft("add", "chain", "inet", "rescue_strand", "out", "{ type filter hook output priority 0; }");
        nft("add", "chain", "inet", "rescue_strand", "in", "{ type filter hook input priority 0; }");
      } catch {
        // Made by an earlier call: add to it.
      }
      nft("add", "rule", "inet", "rescue_strand", "out", "tcp", "sport", set, "drop");
      nft("add", "rule", "inet", "rescue_strand", "in", "tcp", "dport", set, "drop");
      return ports.map(Number);
    },
    close,
  };
}

const BLOCKS_DIR = join(tmpdir(), "rescue-netns-blocks");

function addressInUse(address) {
  return Object.values(networkInterfaces()).some((list) => list?.some((i) => i.address === address));
}

/** Whether `pid` is a process that runs (exists and is not a zombie): /proc, Linux only. */
function runs(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = text.slice(text.lastIndexOf(")") + 2).split(" ")[0];
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** A /30 of 198.51.100.0/24 no other live test holds: its lock file names the holder's pid. */
function claimBlock() {
  mkdirSync(BLOCKS_DIR, { recursive: true });
  const start = Math.floor(Math.random() * 62);
  for (let i = 0; i < 62; i++) {
    const block = 4 * (1 + ((start + i) % 62));
    const lock = join(BLOCKS_DIR, String(block));
    // A namespace a killed run left behind keeps its address after its lock is gone: never reuse it.
    if (addressInUse(`198.51.100.${block + 1}`)) continue;
    try {
      writeFileSync(lock, String(process.pid), { flag: "wx" });
    } catch {
      const holder = Number.parseInt(readFileSync(lock, "utf8"), 10);
      if (runs(holder)) continue;
      // Left by a run that died: take it over (a rival doing the same loses the wx race below).
      rmSync(lock, { force: true });
      try {
        writeFileSync(lock, String(process.pid), { flag: "wx" });
      } catch {
        continue;
      }
    }
    return { block, release: () => rmSync(lock, { force: true }) };
  }
  throw new Error("every test subnet of 198.51.100.0/24 is in use");
}

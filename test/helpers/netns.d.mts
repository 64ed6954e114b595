/** A private network namespace joined to this one by a veth pair (see netns.mjs). */
export interface NetNs {
  name: string;
  /** Address of the veth end in this (the test's) namespace: servers listen here. */
  hostAddress: string;
  /** Address inside the namespace: the browser's. */
  nsAddress: string;
  /** The veth end inside the namespace (shape the browser's sending with `tc` on it). */
  nsInterface: string;
  /** An executable that runs `program` with its arguments inside the namespace. */
  wrapper(program: string): string;
  /** Takes the namespace's link down (the customer's network is gone) or up again. */
  setLink(up: boolean): void;
  /**
   * Drops `percent` (0..100, to 0.01) of the UDP packets leaving the namespace, at random, where the
   * sender cannot see it (nftables at the host end's ingress, needs `nft`); 0 removes the loss.
   */
  setLoss(percent: number): void;
  /** The UDP packets that reached the lossy hook since `setLoss`, and how many of them it dropped. */
  lossCounts(): { packets: number; dropped: number };
  /**
   * Leaves the namespace's established TCP connections to `hostAddress:port` half-open: their
   * packets are dropped both ways from now on (nftables), as after a phone's network changed,
   * while new connections work. Returns the local ports stranded.
   */
  strandTcp(port: number): number[];
  close(): void;
}

/** Why network namespaces cannot be made here, or undefined when they can. */
export function netnsUnavailable(): string | undefined;

/** Why `setLoss` cannot drop packets here (no `nft`), or undefined when it can. */
export function lossUnavailable(): string | undefined;

export function createNetns(opts?: { hostInterfacePrefix?: string }): NetNs;

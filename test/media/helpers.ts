import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { CustomerPeer, type CustomerPeerOptions } from "../../src/customer/peer.js";
import { TechnicianPeer, type TechnicianPeerOptions } from "../../daemon/session/peer.js";

const run = promisify(execFile);

export interface ProbeStream {
  codec_name: string;
  codec_type: string;
  width?: number;
  height?: number;
  nb_read_frames?: string;
  duration?: string;
}

export interface Probe {
  streams: ProbeStream[];
  format: { duration?: string; format_name: string };
}

export async function ffprobe(path: string): Promise<Probe> {
  const { stdout } = await run("ffprobe", ["-v", "error", "-count_frames", "-show_streams", "-show_format", "-of", "json", path]);
  return JSON.parse(stdout) as Probe;
}

export function frames(probe: Probe, type: "video" | "audio"): number {
  return Number(probe.streams.find((s) => s.codec_type === type)?.nb_read_frames ?? 0);
}

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "rescue-media-"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A customer and a technician peer on loopback with signalling piped directly between them. */
export async function connectedPair(
  tech: Partial<TechnicianPeerOptions> = {},
  customer: Partial<CustomerPeerOptions> = {},
): Promise<{ customer: CustomerPeer; technician: TechnicianPeer }> {
  const c = new CustomerPeer({ iceServers: [], loopback: true, ...customer });
  const t = new TechnicianPeer({ iceServers: [], loopback: true, ...tech });
  c.on("signal", (s) => void t.handleSignal(s).catch((e: unknown) => t.emit("error", e as Error)));
  t.on("signal", (s) => void c.handleSignal(s).catch(() => undefined));
  const connected = Promise.all([
    new Promise<void>((resolve) => t.once("connected", resolve)),
    new Promise<void>((resolve) => c.on("state", (s) => s === "connected" && resolve())),
  ]);
  await c.start();
  await connected;
  return { customer: c, technician: t };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

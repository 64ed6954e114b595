import { execFile, execFileSync } from "node:child_process";
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
  start_time?: string;
}

export interface Probe {
  streams: ProbeStream[];
  format: { duration?: string; format_name: string };
}

export async function ffprobe(path: string): Promise<Probe> {
  const { stdout } = await run("ffprobe", ["-v", "error", "-count_frames", "-show_streams", "-show_format", "-of", "json", path]);
  return JSON.parse(stdout) as Probe;
}

/** The packets' presentation times (s) of one track of a recording, sorted, as ffprobe reads them (N/A left out). */
export function packetTimes(path: string, stream: "v" | "a"): number[] {
  const out = execFileSync("ffprobe", ["-v", "error", "-select_streams", `${stream}:0`, "-show_entries", "packet=pts_time", "-of", "csv=p=0", path], { encoding: "utf8" });
  return out
    .split("\n")
    .map((l) => Number.parseFloat(l))
    .filter((t) => Number.isFinite(t))
    .sort((a, b) => a - b);
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

/** A VP8 test clip with a chosen keyframe interval (the bundled one has a keyframe every 60 frames). */
export function makeVp8Clip(dir: string, gop: number, seconds = 10): string {
  const path = join(dir, `gop${gop}.ivf`);
  execFileSync("ffmpeg", [
    "-hide_banner", "-loglevel", "error", "-y",
    "-f", "lavfi", "-i", `testsrc=size=640x480:rate=30:duration=${seconds}`,
    "-c:v", "libvpx", "-b:v", "500k", "-g", String(gop), "-keyint_min", String(gop),
    "-auto-alt-ref", "0", "-lag-in-frames", "0", "-deadline", "realtime", "-cpu-used", "8",
    "-f", "ivf", path,
  ]);
  return path;
}

export async function keyframeCount(path: string): Promise<number> {
  const { stdout } = await run("ffprobe", [
    "-v", "error", "-select_streams", "v", "-show_entries", "frame=key_frame", "-of", "csv=p=0", path,
  ]);
  return stdout.split("\n").filter((line) => line.trim() === "1").length;
}

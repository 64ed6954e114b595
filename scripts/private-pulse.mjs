// A private PulseAudio server in a temporary folder, for tests and benchmarks: two null sinks,
// `speakers` and `mic`, so `speakers.monitor` and `mic.monitor` are sources. Nothing of the
// machine's own sound server is touched. Runs as root without `--system` (pulseaudio only warns).
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * Starts it and waits until `pactl info` answers (10 s at most). Resolves with `{ env, stop }`,
 * `env` being what clients (ffmpeg, pactl, the CLI) need: PULSE_SERVER and a private runtime
 * folder; or with null when pulseaudio is not installed. Rejects with its log when it cannot start.
 */
export async function startPrivatePulse() {
  const found = await run("sh", ["-c", "command -v pulseaudio"]).catch(() => null);
  if (!found) return null;
  const dir = mkdtempSync(join(tmpdir(), "rescue-pulse-"));
  const socket = join(dir, "native");
  const env = { HOME: dir, XDG_RUNTIME_DIR: dir, PULSE_RUNTIME_PATH: join(dir, "pulse"), PULSE_SERVER: `unix:${socket}` };
  const child = spawn(
    "pulseaudio",
    [
      "-n", "--daemonize=no", "--exit-idle-time=-1", "--disallow-exit", "--use-pid-file=no", "--log-target=stderr",
      "-L", `module-native-protocol-unix socket=${socket} auth-anonymous=1`,
      "-L", "module-null-sink sink_name=speakers rate=48000",
      "-L", "module-null-sink sink_name=mic rate=48000",
    ],
    { env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] },
  );
  let log = "";
  child.stderr.on("data", (d) => (log += d));
  const exited = new Promise((resolve) => child.once("exit", () => resolve()));
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await run("pactl", ["info"], { env: { ...process.env, ...env } }).then(() => true, () => false);
    if (ok) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`private pulseaudio did not start: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    env,
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

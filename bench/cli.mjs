#!/usr/bin/env node
// Wall time of `rescue --version` and of `rescue session list --json` with the daemon running
// and logged in against a real server on loopback: median of 20 runs each. Prints JSON.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(fileURLToPath(import.meta.url), "..", "..");
const RUNS = 20;
// bin/rescue.js runs the bundle (npm run build) unless a later tsc left it stale.
const mtime = (path) => statSync(join(ROOT, path), { throwIfNoEntry: false })?.mtimeMs ?? -1;
const entry = mtime("dist/cli/main.js") >= mtime("dist/src/cli/main.js") ? "bundle dist/cli" : "tsc output dist/src";
if (!entry.startsWith("bundle")) console.error("measuring the tsc output: npm run build makes the bundle that rescue runs once installed");
const { initData, startServer } = await import(join(ROOT, "dist", "src", "server", "index.js"));

const dataDir = mkdtempSync(join(tmpdir(), "rescue-bench-server-"));
const home = mkdtempSync(join(tmpdir(), "rb-"));
const env = { ...process.env, RESCUE_HOME: home };

function run(args, input, nodeArgs = [join(ROOT, "bin", "rescue.js")]) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, [...nodeArgs, ...args], { env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    child.on("error", reject);
    child.on("exit", (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code !== 0) reject(new Error(`rescue ${args.join(" ")} exited ${code}: ${stderr}`));
      else resolve({ ms, stdout });
    });
    child.stdin.end(input ?? "");
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function measure(args, nodeArgs) {
  await run(args, undefined, nodeArgs); // warm the file cache
  const times = [];
  for (let i = 0; i < RUNS; i++) times.push((await run(args, undefined, nodeArgs)).ms);
  return { medianMs: Math.round(median(times) * 10) / 10, minMs: Math.round(Math.min(...times) * 10) / 10, maxMs: Math.round(Math.max(...times) * 10) / 10 };
}

const admin = await initData(join(dataDir, "data"), "bench-admin@example.test");
const server = await startServer({ dataDir: join(dataDir, "data"), logLevel: "silent" });
try {
  await run(["login", "--server", server.url, "--email", admin.email, "--password-stdin"], admin.password);
  await run(["daemon", "start"]);
  for (let i = 0; i < 5; i++) await run(["session", "new", "--lens", "--pin", "--json"]);
  // What node itself costs here, for reading the figures on a busy machine.
  const bare = await measure([], ["-e", "0"]);
  const version = await measure(["--version"]);
  const list = await measure(["session", "list", "--json"]);
  console.log(
    JSON.stringify(
      {
        runs: RUNS,
        node: process.version,
        entry,
        nodeBare: bare,
        loadAverage: (await import("node:os")).loadavg().map((l) => Math.round(l * 100) / 100),
        version: { ...version, targetMs: 100, ok: version.medianMs < 100 },
        sessionListJson: { ...list, sessions: JSON.parse((await run(["session", "list", "--json"])).stdout).length, targetMs: 150, ok: list.medianMs < 150 },
      },
      null,
      2,
    ),
  );
} finally {
  await run(["daemon", "stop"]).catch(() => undefined);
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
}

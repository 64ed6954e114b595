import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { buildDist } from "../helpers/build.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { listeningUrl } from "../helpers/server-process.js";

// `rescue-server start --redis URL` (or RESCUE_REDIS_URL): a bad URL is a usage error, an
// unreachable Redis stops the start, and the URL's password never shows in any output.

const ROOT = resolve(import.meta.dirname, "../..");
const BIN = join(ROOT, "bin/rescue-server.js");
const PASSWORD = "s3cret-Redis-pass";
let tmp: string;
let data: string;
let redis: TestRedis;
const children: ChildProcess[] = [];

function run(args: string[], env: Record<string, string> = {}, untilListening = false): Promise<{ code: number | null; out: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, RESCUE_LOG_LEVEL: "", ...env } });
  children.push(child);
  let out = "";
  return new Promise((done) => {
    const seen = (d: Buffer) => {
      out += d;
      if (untilListening && listeningUrl(out)) done({ code: null, out, child });
    };
    child.stdout.on("data", seen);
    child.stderr.on("data", seen);
    child.on("close", (code) => done({ code, out, child }));
  });
}

/** A loopback port nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise((r) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => r(port));
    });
  });
}

beforeAll(async () => {
  await buildDist();
  redis = await startRedis({ password: PASSWORD });
  tmp = mkdtempSync(join(tmpdir(), "rescue-server-redis-cli-"));
  data = join(tmp, "data");
  expect((await run(["init", "--data", data, "--json"])).code).toBe(0);
}, 120_000);
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill("SIGKILL");
});
afterAll(async () => {
  await redis?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe("rescue-server start --redis", () => {
  it("refuses a URL that is not redis:// or rediss:// as a usage error, without echoing its password", async () => {
    const bad = await run(["start", "--data", data, "--redis", `http://:${PASSWORD}@127.0.0.1:6379`]);
    expect(bad.code).toBe(2);
    expect(bad.out).toMatch(/redis:\/\/ or rediss:\/\//);
    expect(bad.out).not.toContain(PASSWORD);
  });

  it("does not start when Redis cannot be reached, or refuses the password; the message hides it", async () => {
    const port = await closedPort();
    const down = await run(["start", "--data", data, "--redis", `redis://:${PASSWORD}@127.0.0.1:${port}`]);
    expect(down.code).toBe(1);
    expect(down.out).toMatch(/cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1/);
    expect(down.out).not.toContain(PASSWORD);

    const wrong = await run(["start", "--data", data], { RESCUE_REDIS_URL: `redis://:not-${PASSWORD}@127.0.0.1:${redis.port}` });
    expect(wrong.code).toBe(1);
    expect(wrong.out).toMatch(/cannot reach Redis/);
    expect(wrong.out).not.toContain(PASSWORD);
  });

  it("starts from RESCUE_REDIS_URL, says so without the password, and registers its presence in Redis", async () => {
    const started = await run(["start", "--data", data, "--port", "0"], { RESCUE_REDIS_URL: redis.url }, true);
    expect(started.out).toMatch(/"msg":"redis: redis:\/\/:\*\*\*@127\.0\.0\.1:\d+(\/)? \(one of several nodes\)"/);
    // The node holds the sweep lease in Redis within a few sweeps (every 5 s).
    const client = redis.client();
    await expect.poll(async () => client.exists("rescue:lease:sweep"), { timeout: 15_000, interval: 200 }).toBe(1);
    started.child.kill("SIGTERM");
    const code = await new Promise((r) => started.child.once("close", r));
    expect(code).toBe(0);
    expect(started.out + "").not.toContain(PASSWORD);
  });
});

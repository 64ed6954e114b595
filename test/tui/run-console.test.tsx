import { afterEach, describe, expect, it, vi } from "vitest";
import { runConsole } from "../../src/tui/main.js";
import { FakeDaemon } from "./fake-daemon.js";
import { KEYS, TestStdin, TestStdout, plain } from "./terminal.js";

const FAST = { retryMs: 40, statsMs: 40, tickMs: 100 };
let stdin: TestStdin | null = null;

afterEach(() => {
  // Leave nothing running if an assertion failed before the console quit.
  stdin?.write(KEYS.ctrlC);
  stdin = null;
});

async function start() {
  const d = new FakeDaemon();
  d.seed("Bob Jansen", "waiting");
  const stdout = new TestStdout(80, 24);
  stdin = new TestStdin();
  const done = runConsole(d, { stdin: stdin as unknown as NodeJS.ReadStream, stdout: stdout as unknown as NodeJS.WriteStream }, FAST);
  await vi.waitFor(() => expect(plain(stdout.frames.join(""))).toContain("Bob Jansen"));
  return { done, stdout, stdin };
}

describe("runConsole", () => {
  it("draws the console and exits with 0 on q", async () => {
    const { done, stdin } = await start();
    stdin.write("q");
    await expect(done).resolves.toBe(0);
  });

  it("refuses to run without a terminal", async () => {
    const stdout = Object.assign(new TestStdout(80, 24), { isTTY: false });
    const d = new FakeDaemon();
    await expect(
      runConsole(d, { stdin: new TestStdin() as unknown as NodeJS.ReadStream, stdout: stdout as unknown as NodeJS.WriteStream }, FAST),
    ).rejects.toMatchObject({ code: "bad_request", message: expect.stringContaining("needs a terminal") });
    expect(d.calls).toEqual([]);
  });

  it("an error thrown while keys are read shows on the notice line and in the log, and the console goes on", async () => {
    const d = new FakeDaemon();
    d.seed("Bob Jansen", "waiting");
    const stdout = new TestStdout(80, 24);
    const input = new TestStdin();
    stdin = input;
    // The next read of the terminal fails once, as a fault in key handling would.
    const read = input.read;
    let fail = false;
    input.read = () => {
      if (fail) {
        fail = false;
        throw new Error("the terminal read failed");
      }
      return read();
    };
    const logged: string[] = [];
    const done = runConsole(d, { stdin: input as unknown as NodeJS.ReadStream, stdout: stdout as unknown as NodeJS.WriteStream }, FAST, (m) => logged.push(m));
    await vi.waitFor(() => expect(plain(stdout.frames.join(""))).toContain("Bob Jansen"));
    const since = (n: number) => plain(stdout.frames.slice(n).join(""));
    let mark = stdout.frames.length;
    fail = true;
    input.write("x");
    await vi.waitFor(() => expect(since(mark)).toContain("Error: a key could not be handled: the terminal read failed"));
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(/^console: a key could not be handled: Error: the terminal read failed\n\s+at /);
    mark = stdout.frames.length;
    input.write("?");
    await vi.waitFor(() => expect(since(mark)).toContain("Keys"));
    input.write("q");
    input.write("q");
    await expect(done).resolves.toBe(0);
  });

  it("exits with 0 on Ctrl-C", async () => {
    const { done, stdin } = await start();
    stdin.write(KEYS.ctrlC);
    await expect(done).resolves.toBe(0);
  });
});

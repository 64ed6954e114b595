import { fork } from "node:child_process";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { bundledClip } from "../../src/customer/assets.js";
import { BUILD_TIMEOUT_MS, buildDist } from "../helpers/build.js";
import { tempDir } from "./helpers.js";

const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((fn) => fn()));
beforeAll(buildDist, BUILD_TIMEOUT_MS);

describe("closing", () => {
  it("leaves nothing running: the process exits by itself after both peers close", async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const child = fork(
      join(import.meta.dirname, "fixtures", "session-exit.mjs"),
      [join(tmp.dir, "exit.webm"), bundledClip().audio],
      { stdio: "ignore" },
    );
    cleanups.push(() => void child.kill("SIGKILL"));
    let closedMessage: { frames: number } | undefined;
    child.on("message", (message: { type: string; frames: number }) => {
      if (message.type === "closed") closedMessage = message;
    });
    const exit = await new Promise<{ code: number | null; afterClose: boolean }>((resolve) => {
      const timer = setTimeout(() => resolve({ code: null, afterClose: false }), 15_000);
      child.once("exit", (code) => {
        clearTimeout(timer);
        resolve({ code, afterClose: closedMessage !== undefined });
      });
    });
    expect(exit).toEqual({ code: 0, afterClose: true });
    expect(closedMessage!.frames).toBeGreaterThan(40);
  });
});

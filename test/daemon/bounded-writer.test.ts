import { createServer, connect, type Socket } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BoundedWriter } from "../../daemon/localapi/bounded-writer.js";

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const fn of cleanups.splice(0)) fn();
});

/** A unix-socket pair: `writer` to the far end, `reader` paused (a listener that does not read). */
async function socketPair(): Promise<{ writer: Socket; reader: Socket }> {
  const dir = mkdtempSync(join(tmpdir(), "bw-"));
  const path = join(dir, "s.sock");
  const accepted = new Promise<Socket>((resolve) => {
    const server = createServer((s) => {
      s.pause();
      resolve(s);
    });
    server.listen(path);
    cleanups.push(() => {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    });
  });
  const writer = connect(path);
  await new Promise((r) => writer.once("connect", r));
  const reader = await accepted;
  cleanups.push(() => (writer.destroy(), reader.destroy()));
  return { writer, reader };
}

describe("a slow audio listener", () => {
  it("is dropped to once its backlog passes the bound; what it gets is whole messages", async () => {
    const { writer, reader } = await socketPair();
    const bound = 16 * 1024;
    const out = new BoundedWriter(writer, bound);
    const message = (i: number) => Buffer.alloc(1000, i % 251);
    let built = 0;
    // 4 MB offered: far more than the kernel's socket buffers take while nobody reads.
    for (let i = 0; i < 4000; i++) {
      out.write(() => (built++, message(i)));
      expect(writer.writableLength).toBeLessThanOrEqual(bound + 1000);
      if (i % 100 === 0) await new Promise((r) => setImmediate(r));
    }
    expect(out.dropped).toBeGreaterThan(1000);
    expect(out.written + out.dropped).toBe(4000);
    expect(built, "dropped messages are not even built").toBe(out.written);

    // Reading again: every written byte arrives, in 1000-byte messages of one fill each.
    let received = Buffer.alloc(0);
    reader.on("data", (c: Buffer) => (received = Buffer.concat([received, c])));
    reader.resume();
    const deadline = Date.now() + 10_000;
    while (received.length < out.written * 1000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(received.length).toBe(out.written * 1000);
    for (let at = 0; at < received.length; at += 1000) {
      const fill = received[at]!;
      expect(received.subarray(at, at + 1000).every((b) => b === fill)).toBe(true);
    }
  });
});

import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { bundledClip } from "../../src/customer/assets.js";
import { parseOggOpus } from "../../src/media/ogg-opus.js";
import { OggOpusStreamReader } from "../../src/media/ogg-opus-stream.js";
import { oggCrc, OggOpusWriter } from "../../src/media/ogg-writer.js";
import { dominantFrequency, pcmOf } from "../helpers/audio.js";
import { tempDir } from "./helpers.js";

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const fn of cleanups.splice(0)) fn();
});

/** Splits a buffer into Ogg pages by their lengths (header + lacing table + body). */
function pages(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let pos = 0; pos < buf.length; ) {
    const segments = buf[pos + 26]!;
    const body = buf.subarray(pos + 27, pos + 27 + segments).reduce((s, l) => s + l, 0);
    out.push(buf.subarray(pos, pos + 27 + segments + body));
    pos += 27 + segments + body;
  }
  return out;
}

describe("Ogg/Opus writing and streaming reading", () => {
  it("computes the same page CRC as libogg (ffmpeg's pages of the bundled clip)", () => {
    const file = readFileSync(bundledClip().audio);
    const all = pages(file);
    expect(all.length).toBeGreaterThan(3);
    for (const page of all) {
      const copy = Buffer.from(page);
      const stored = copy.readUInt32LE(22);
      copy.writeUInt32LE(0, 22);
      expect(oggCrc(copy)).toBe(stored);
    }
  });

  it("reads a stream cut at arbitrary places into the same packets as the whole-file parser", () => {
    const file = readFileSync(bundledClip().audio);
    const whole = parseOggOpus(file).packets;
    const reader = new OggOpusStreamReader();
    const got = [];
    let pos = 0;
    let cut = 1;
    while (pos < file.length) {
      const n = (cut++ * 37) % 700 + 1;
      got.push(...reader.push(file.subarray(pos, pos + n)));
      pos += n;
    }
    expect(reader.ready).toBe(true);
    expect(got.length).toBe(whole.length);
    expect(got.map((p) => p.data.toString("hex"))).toEqual(whole.map((p) => p.data.toString("hex")));
    expect(() => new OggOpusStreamReader().push(Buffer.from("RIFF....WAVEfmt and more than 27 bytes of it"))).toThrow(/not an Ogg stream/);
  });

  it("writes a page-per-packet stream that ffmpeg decodes to the clip's 440 Hz tone", async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const packets = parseOggOpus(readFileSync(bundledClip().audio)).packets;
    const writer = new OggOpusWriter({ channels: 1 });
    const out = Buffer.concat([writer.header(), ...packets.map((p) => writer.packet(p.data, p.samples)), writer.end()]);
    expect(pages(out).length).toBe(packets.length + 3);
    const path = join(tmp.dir, "rewritten.ogg");
    writeFileSync(path, out);
    // ffmpeg reports a wrong checksum ("CRC mismatch!") or an undecodable packet on stderr.
    const check = spawnSync("ffmpeg", ["-v", "error", "-err_detect", "crccheck", "-i", path, "-f", "null", "-"], { encoding: "utf8" });
    expect(check.stderr).toBe("");
    const corrupt = Buffer.from(out);
    corrupt[300]! ^= 0x55;
    writeFileSync(path + ".bad.ogg", corrupt);
    const bad = spawnSync("ffmpeg", ["-v", "error", "-err_detect", "crccheck", "-i", path + ".bad.ogg", "-f", "null", "-"], { encoding: "utf8" });
    expect(bad.stderr).toMatch(/CRC mismatch/);
    const pcm = await pcmOf(path);
    expect(pcm.length / 48_000).toBeGreaterThan(9.5);
    const f = dominantFrequency(pcm, 48_000, [440, 1000]);
    expect(f.best).toBe(440);
  });
});

import { inflateSync } from "node:zlib";
import { PNG } from "pngjs";
import { decode as decodeSixel } from "sixel";
import { describe, expect, it } from "vitest";
import { bundledClip } from "../../src/customer/assets.js";
import { blockLines, parseBlockLines } from "../../src/picture/blocks.js";
import { itermImage, kittyImage, sixelImage } from "../../src/picture/graphics.js";
import { createRenderer, parseTerminalReply, rendererFromEnv } from "../../src/picture/renderer.js";
import { cellsToRgb, decodeFrames, meanAbsDiff, mirrored } from "../helpers/picture.js";

const W = 64;
const H = 48;
const frame = { width: W, height: H, rgb: decodeFrames(bundledClip().video, W, H)[0]! };

/** Drops the alpha byte of RGBA pixels. */
function rgbOf(rgba: Uint8Array | Uint8ClampedArray): Buffer {
  const rgb = Buffer.alloc((rgba.length / 4) * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) rgb.set([rgba[i]!, rgba[i + 1]!, rgba[i + 2]!], j);
  return rgb;
}

describe("terminal picture renderers: what each one writes decodes back to the frame", () => {
  it("half blocks: one cell per pixel column and two pixel rows, exact colours", () => {
    const lines = blockLines(frame);
    expect(lines).toHaveLength(H / 2);
    const back = cellsToRgb(parseBlockLines(lines.join("\n")));
    expect([back.width, back.height]).toEqual([W, H]);
    expect(meanAbsDiff(back.rgb, frame.rgb)).toBe(0);
    expect(meanAbsDiff(mirrored(back.rgb, W, H), frame.rgb)).toBeGreaterThan(20);
  });

  it("kitty: chunked APC sequences carrying the zlib RGB, scaled to the cells, one image id", () => {
    // Large enough to need several chunks.
    const big = { width: 320, height: 240, rgb: decodeFrames(bundledClip().video, 320, 240)[0]! };
    const text = kittyImage(big, 40, 12);
    const parts = [...text.matchAll(/\x1b_G([^;]*);([^\x1b]*)\x1b\\/g)];
    expect(parts.length).toBeGreaterThan(1);
    expect(parts[0]![1]).toContain("a=T,f=24,o=z,s=320,v=240,c=40,r=12,i=1");
    expect(parts.slice(0, -1).every((p) => p[1]!.endsWith("m=1"))).toBe(true);
    expect(parts.at(-1)![1]).toMatch(/m=0$/);
    const payload = Buffer.from(parts.map((p) => p[2]).join(""), "base64");
    expect(inflateSync(payload).equals(big.rgb)).toBe(true);
  });

  it("iTerm2: OSC 1337 with a PNG of the frame", () => {
    const text = itermImage(frame, 40, 12);
    const m = /^\x1b\]1337;File=inline=1;size=(\d+);width=40;height=12;preserveAspectRatio=1:([A-Za-z0-9+/=]+)\x07$/.exec(text);
    expect(m).not.toBeNull();
    const png = Buffer.from(m![2]!, "base64");
    expect(png.length).toBe(Number(m![1]));
    const decoded = PNG.sync.read(png);
    expect([decoded.width, decoded.height]).toEqual([W, H]);
    expect(meanAbsDiff(rgbOf(decoded.data), frame.rgb)).toBe(0);
  });

  it("sixel: a DCS sequence that a sixel decoder turns back into the frame (256 colours)", () => {
    const text = sixelImage(frame);
    expect(text.startsWith("\x1bP")).toBe(true);
    expect(text.endsWith("\x1b\\")).toBe(true);
    const body = text.slice(text.indexOf("q") + 1, -2);
    const decoded = decodeSixel(body);
    expect([decoded.width, decoded.height]).toEqual([W, H]);
    const back = rgbOf(decoded.data8);
    expect(meanAbsDiff(back, frame.rgb)).toBeLessThan(10);
    expect(meanAbsDiff(mirrored(back, W, H), frame.rgb)).toBeGreaterThan(20);
  });

  it("each renderer's decode box fits its cells; sixel's is the cells' pixel size", () => {
    expect(createRenderer("blocks").box(80, 23)).toEqual({ width: 80, height: 46 });
    expect(createRenderer("sixel", { width: 9, height: 18 }).box(80, 23)).toEqual({ width: 720, height: 414 });
    // Graphics with scaling are capped: a huge terminal does not ask for a huge decode.
    const kitty = createRenderer("kitty").box(300, 90);
    expect(kitty.width).toBeLessThanOrEqual(1280);
    expect(kitty.height).toBeLessThanOrEqual(960);
    expect(kitty.width % 2 + (kitty.height % 2)).toBe(0);
  });
});

describe("choosing a renderer", () => {
  it("reads the terminal from its environment; tmux and screen get half blocks", () => {
    expect(rendererFromEnv({ TERM: "xterm-kitty" })).toBe("kitty");
    expect(rendererFromEnv({ KITTY_WINDOW_ID: "1", TERM: "xterm-256color" })).toBe("kitty");
    expect(rendererFromEnv({ TERM_PROGRAM: "WezTerm" })).toBe("kitty");
    expect(rendererFromEnv({ TERM_PROGRAM: "iTerm.app" })).toBe("iterm");
    expect(rendererFromEnv({ LC_TERMINAL: "iTerm2" })).toBe("iterm");
    expect(rendererFromEnv({ TERM_PROGRAM: "iTerm.app", TMUX: "/tmp/tmux-0/default,1,0" })).toBe("blocks");
    expect(rendererFromEnv({ TERM: "screen-256color" })).toBe("blocks");
    expect(rendererFromEnv({ TERM: "xterm-256color" })).toBeNull();
  });

  it("parses the cell size and the sixel attribute from the terminal's replies", () => {
    expect(parseTerminalReply("\x1b[6;20;10t\x1b[?62;4;22c")).toEqual({ sixel: true, cell: { width: 10, height: 20 } });
    expect(parseTerminalReply("\x1b[?62;22c")).toEqual({ sixel: false, cell: null });
    expect(parseTerminalReply("\x1b[?64;1;2;6;9;15;18;21;22c")).toEqual({ sixel: false, cell: null });
    expect(parseTerminalReply("")).toEqual({ sixel: false, cell: null });
  });
});

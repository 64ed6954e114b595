import { deflateSync } from "node:zlib";
import { PNG } from "pngjs";
import { image2sixel } from "sixel";
import type { RgbFrame } from "../media/video-decoder.js";

/** Escape sequences stay well under terminals' input limits in chunks of this many base64 bytes. */
const KITTY_CHUNK = 4096;

/**
 * The kitty graphics protocol (https://sw.kovidgoyal.net/kitty/graphics-protocol/): the frame as
 * zlib-compressed RGB (`f=24,o=z`), transmitted and shown at the cursor (`a=T`) scaled to
 * `cols x rows` cells, the cursor left in place (`C=1`), no replies (`q=2`). The same image id
 * each time replaces the previous picture instead of stacking a new one.
 */
export function kittyImage(frame: RgbFrame, cols: number, rows: number, id = 1): string {
  const payload = deflateSync(frame.rgb, { level: 1 }).toString("base64");
  let out = "";
  for (let i = 0; i < payload.length; i += KITTY_CHUNK) {
    const more = i + KITTY_CHUNK < payload.length ? 1 : 0;
    const keys = i === 0 ? `a=T,f=24,o=z,s=${frame.width},v=${frame.height},c=${cols},r=${rows},i=${id},C=1,q=2,m=${more}` : `m=${more}`;
    out += `\x1b_G${keys};${payload.slice(i, i + KITTY_CHUNK)}\x1b\\`;
  }
  return out;
}

/** The frame as a PNG file's bytes (pngjs, fastest deflate: a live picture is shown once). */
export function pngBytes(frame: RgbFrame): Buffer {
  return PNG.sync.write(
    { width: frame.width, height: frame.height, data: frame.rgb } as unknown as PNG,
    { colorType: 2, inputColorType: 2, inputHasAlpha: false, deflateLevel: 1 },
  );
}

/**
 * iTerm2's inline image protocol (https://iterm2.com/documentation-images.html), also spoken by
 * WezTerm and mintty: OSC 1337 File= with a PNG, shown over `cols x rows` cells.
 */
export function itermImage(frame: RgbFrame, cols: number, rows: number): string {
  const png = pngBytes(frame);
  return `\x1b]1337;File=inline=1;size=${png.length};width=${cols};height=${rows};preserveAspectRatio=1:${png.toString("base64")}\x07`;
}

/**
 * DEC sixel graphics (xterm -ti vt340, foot, mlterm, Windows Terminal 1.22+), encoded and
 * quantised to 256 colours by the `sixel` package. Sixel has no scaling: the frame is drawn at
 * its pixel size, so the caller decodes it at the size of the cells it should cover.
 */
export function sixelImage(frame: RgbFrame): string {
  const { width, height, rgb } = frame;
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
    rgba[j] = rgb[i]!;
    rgba[j + 1] = rgb[i + 1]!;
    rgba[j + 2] = rgb[i + 2]!;
    rgba[j + 3] = 255;
  }
  return image2sixel(rgba, width, height, 256, 1);
}

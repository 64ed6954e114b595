import type { LensShape } from "../../../protocol/lens.js";
import { UsageError } from "../../errors.js";

/** How far an arrow given by its head alone reaches back (fraction of the frame). */
const ARROW_TAIL = 0.12;

/**
 * `0.25,0.5` -> [0.25, 0.5]: the numbers of one of `forms`, each 0..1. A form names the shape's
 * own fields ("X,Y,R" for a circle, "X,Y,X2,Y2" for an arrow), so a wrong value is answered with
 * the fields of that flag; `label` says it shorter where a form is long (a line's X,Y pairs).
 */
export function numbers(flag: string, value: string, forms: string[], label = forms.join(" or ")): number[] {
  const parts = value.split(",").map((p) => p.trim());
  const nums = parts.map(Number);
  const counts = forms.map((f) => f.split(",").length);
  if (!counts.includes(parts.length) || nums.some((n, i) => parts[i] === "" || !Number.isFinite(n) || n < 0 || n > 1)) {
    throw new UsageError(`${flag} ${value}: give ${label}, numbers from 0 to 1 of the picture (0,0 top left)`);
  }
  return nums;
}

/**
 * An arrow from its flag: `X,Y` points at (X, Y) from below left (from below right near the left
 * edge, from above near the bottom); `X,Y,X2,Y2` goes from (X, Y) to its head at (X2, Y2).
 */
export function arrowOf(value: string): LensShape {
  const n = numbers("--arrow", value, ["X,Y", "X,Y,X2,Y2"]);
  if (n.length === 4) return { kind: "arrow", x: n[0]!, y: n[1]!, x2: n[2]!, y2: n[3]! };
  const [x2, y2] = n as [number, number];
  const x = x2 - ARROW_TAIL >= 0 ? x2 - ARROW_TAIL : x2 + ARROW_TAIL;
  const y = y2 + ARROW_TAIL <= 1 ? y2 + ARROW_TAIL : y2 - ARROW_TAIL;
  return { kind: "arrow", x, y, x2, y2 };
}

export function circleOf(value: string): LensShape {
  const [x, y, r] = numbers("--circle", value, ["X,Y,R"]) as [number, number, number];
  if (r <= 0) throw new UsageError(`--circle ${value}: the radius must be more than 0`);
  return { kind: "circle", x, y, r };
}

/** `X,Y,TEXT`: the label's top-left corner, then its text (which may hold commas). */
export function textOf(value: string): LensShape {
  const m = /^([^,]*),([^,]*),(.+)$/s.exec(value);
  if (!m) throw new UsageError(`--text ${value}: give X,Y,TEXT`);
  const [x, y] = numbers("--text", `${m[1]},${m[2]}`, ["X,Y"]) as [number, number];
  const text = m[3]!;
  if (text.length > 200 || /\p{Cc}/u.test(text)) throw new UsageError("--text: up to 200 characters, no control characters");
  return { kind: "text", x, y, text };
}

export function pointerOf(value: string): LensShape {
  const [x, y] = numbers("--pointer", value, ["X,Y"]) as [number, number];
  return { kind: "pointer", x, y };
}

/** `X,Y,X,Y,...`: a free line through 2 to 500 points. */
export function lineOf(value: string): LensShape {
  const parts = value.split(",");
  if (parts.length < 4 || parts.length % 2 !== 0 || parts.length > 1000) throw new UsageError(`--line ${value}: give X,Y pairs (2 to 500 points)`);
  const n = numbers("--line", value, [Array.from({ length: parts.length / 2 }, () => "X,Y").join(",")], "X,Y pairs");
  const points = [];
  for (let i = 0; i < n.length; i += 2) points.push({ x: n[i]!, y: n[i + 1]! });
  return { kind: "line", points };
}

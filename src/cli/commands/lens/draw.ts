import type { Command } from "commander";
import { LENS_COLORS, type LensColor, type LensShape } from "../../../protocol/lens.js";
import { examples, type Context } from "../../context.js";
import { UsageError } from "../../errors.js";
import { arrowOf, circleOf, lineOf, pointerOf, textOf } from "./shapes.js";
import { printLens } from "./print.js";

interface DrawOptions {
  arrow?: string;
  circle?: string;
  text?: string;
  pointer?: string;
  line?: string;
  color: string;
  json?: boolean;
}

export function register(parent: Command, ctx: Context): void {
  const cmd = parent
    .command("draw")
    .description("draw on the customer's camera picture (coordinates 0..1 of the picture, 0,0 top left)")
    .argument("<id>", "session id")
    .option("--arrow <x,y[,x2,y2]>", "an arrow pointing at x,y; or from x,y to its head at x2,y2")
    .option("--circle <x,y,r>", "a circle around x,y; r is a fraction of the picture's width")
    .option("--text <x,y,text>", "a label whose top left corner is at x,y")
    .option("--pointer <x,y>", "a marker at x,y (replaces the previous marker)")
    .option("--line <x,y,x,y,...>", "a free line through the points")
    .option("--color <name>", `one of ${LENS_COLORS.join(", ")}`, "red")
    .option("--json", 'print {"sessionId", "action", "delivery"}');
  examples(
    cmd,
    "rescue lens draw k7m2qd9xw4hbte --arrow 0.5,0.4",
    "rescue lens draw k7m2qd9xw4hbte --circle 0.62,0.3,0.08 --color yellow --json",
    "rescue lens draw k7m2qd9xw4hbte --text 0.1,0.1,'the green cable'",
  );
  cmd.action((id: string, opts: DrawOptions) => run(ctx, id, opts));
}

async function run(ctx: Context, id: string, opts: DrawOptions): Promise<void> {
  const shapes: LensShape[] = [];
  if (opts.arrow !== undefined) shapes.push(arrowOf(opts.arrow));
  if (opts.circle !== undefined) shapes.push(circleOf(opts.circle));
  if (opts.text !== undefined) shapes.push(textOf(opts.text));
  if (opts.pointer !== undefined) shapes.push(pointerOf(opts.pointer));
  if (opts.line !== undefined) shapes.push(lineOf(opts.line));
  if (shapes.length !== 1) throw new UsageError("give one of --arrow, --circle, --text, --pointer or --line");
  if (!(LENS_COLORS as readonly string[]).includes(opts.color)) throw new UsageError(`--color ${opts.color}: one of ${LENS_COLORS.join(", ")}`);
  const result = await (await ctx.daemon()).lens(id, { action: "draw", shape: shapes[0]!, color: opts.color as LensColor });
  printLens(ctx, opts, result, `drew a ${opts.color} ${shapes[0]!.kind} in session ${id}`);
}

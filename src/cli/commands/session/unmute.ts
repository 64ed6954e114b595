import type { Command } from "commander";
import type { Context } from "../../context.js";
import { registerMute } from "./mute.js";

export function register(parent: Command, ctx: Context): void {
  registerMute(parent, ctx, false);
}

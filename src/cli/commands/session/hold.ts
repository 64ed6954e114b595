import type { Command } from "commander";
import type { Context } from "../../context.js";
import { registerAction } from "./action.js";

export function register(parent: Command, ctx: Context): void {
  registerAction(parent, ctx, "hold", "put an active session on hold (it stops counting toward your ten)");
}

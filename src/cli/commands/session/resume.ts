import type { Command } from "commander";
import type { Context } from "../../context.js";
import { registerAction } from "./action.js";

export function register(parent: Command, ctx: Context): void {
  registerAction(parent, ctx, "resume", "resume a session on hold");
}

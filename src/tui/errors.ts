import { RescueError } from "../protocol/index.js";

/** One line a person can read, for any error the client or the code below it throws. */
export function describeError(err: unknown): string {
  if (err instanceof RescueError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

export function isUnavailable(err: unknown): boolean {
  return err instanceof RescueError && err.code === "unavailable";
}

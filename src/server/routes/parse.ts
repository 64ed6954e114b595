import type * as z from "zod";
import { RescueError, describeIssue } from "../../protocol/index.js";

/** Parses request input with a protocol schema; a mismatch is a 400 naming the first problem. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what = "body"): z.infer<S> {
  const parsed = schema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.slice(0, 3).map((i) => describeIssue(i, what));
  throw new RescueError("bad_request", `invalid ${what}: ${issues.join("; ")}`, { issues: parsed.error.issues.map((i) => ({ path: i.path, message: i.message })) });
}

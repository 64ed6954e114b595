import { readFileSync } from "node:fs";
import * as z from "zod";
import { RescueError } from "../../protocol/index.js";

const count = z.number().int().positive();
const ms = z.number().int().nonnegative();
/** A token bucket; either value may be given alone, the other keeps its default. */
const Rate = z.strictObject({ burst: count, windowMs: count }).partial();

/**
 * `rescue-server start --limits FILE`: any limit of src/server/limits/config.ts, JSON, down to a
 * single value; what is left out keeps its default. Unknown names are refused, so a typo is not silently
 * ignored. Example: {"pins": {"perSource": {"burst": 5, "windowMs": 86400000}}, "http": {"maxConnections": 1000}}
 */
export const LimitsFile = z
  .strictObject({
    login: z.strictObject({ perAccountSource: Rate, perSource: Rate }).partial(),
    pins: z.strictObject({ perSource: Rate, global: Rate, slowdownMs: ms }).partial(),
    integration: z.strictObject({ perKey: count, windowMs: count }).partial(),
    sessions: z.strictObject({ createRate: Rate, livePerTechnician: count, liveInAll: count }).partial(),
    chat: Rate,
    lens: Rate,
    reoffer: Rate,
    resume: Rate,
    socketMessages: Rate,
    http: z
      .strictObject({
        requestTimeoutMs: count,
        headersTimeoutMs: count,
        idleTimeoutMs: count,
        keepAliveTimeoutMs: count,
        maxConnections: count,
        maxConnectionsPerSource: count,
      })
      .partial(),
  })
  .partial();

/** Reads and checks a limits file; a missing file or bad JSON is a bad_request naming it, a wrong shape a ZodError. */
export function readLimitsFile(path: string): z.infer<typeof LimitsFile> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new RescueError("bad_request", `cannot read limits file ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return LimitsFile.parse(json);
}

import { existsSync, readFileSync } from "node:fs";
import * as z from "zod";
import { replacePrivateFile } from "../../src/profile/private-dir.js";

/** What `session start` decided for one session: where it records, or null for no recording. */
export interface RememberedStart {
  recordPath: string | null;
}

/**
 * What Start decided for each live session, kept in a small JSON file (0600) so that a daemon
 * that restarts and adopts the session records as the technician asked (the same folder and
 * name, as the next segment; or not at all after `--no-record`). Without a file, memory only.
 * Writes replace the file at once (temp file and rename), so a crash leaves the old or the new.
 */
export class StartMemory {
  private readonly entries: Map<string, RememberedStart>;

  constructor(private readonly file: string | null) {
    this.entries = new Map(Object.entries(file ? readStarts(file) : {}));
  }

  get(sessionId: string): RememberedStart | undefined {
    return this.entries.get(sessionId);
  }

  set(sessionId: string, start: RememberedStart): void {
    this.entries.set(sessionId, start);
    this.save();
  }

  /** Forgets an ended session (or one this technician left). */
  delete(sessionId: string): void {
    if (this.entries.delete(sessionId)) this.save();
  }

  private save(): void {
    if (!this.file) return;
    replacePrivateFile(this.file, `${JSON.stringify(Object.fromEntries(this.entries))}\n`);
  }
}

const StartsFile = z.record(z.string(), z.object({ recordPath: z.string().nullable() }));

function readStarts(file: string): Record<string, RememberedStart> {
  if (!existsSync(file)) return {};
  try {
    return StartsFile.parse(JSON.parse(readFileSync(file, "utf8")));
  } catch {
    return {}; // unreadable: adopted sessions then record to the default folder
  }
}

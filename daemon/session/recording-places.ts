import { existsSync, readFileSync, realpathSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import * as z from "zod";
import { replacePrivateFile } from "../../src/profile/private-dir.js";

/** One recording written outside the recordings folder (`session start --record-path`). */
export interface RecordingPlace {
  session: string;
  /** The file's real path when recording began: a later symlink or moved folder no longer matches it. */
  path: string;
}

/**
 * The recordings this daemon wrote outside its recordings folder, by session, kept in a small
 * JSON file (0600) so that `recordings show|open|delete` find them after a restart. Only what is
 * listed here may be shown or deleted outside the folder: a path the daemon did not record for a
 * session is never touched. Writes replace the file at once (temp file and rename). Without a
 * file, memory only.
 */
export class RecordingPlaces {
  private places: RecordingPlace[];

  constructor(private readonly file: string | null) {
    this.places = file ? readPlaces(file) : [];
  }

  /** Remembers the absolute `path` for `session`, by the real path of its folder (which exists once recording began). */
  add(session: string, path: string): void {
    let real = path;
    try {
      real = join(realpathSync(dirname(path)), basename(path));
    } catch {
      // the folder is gone already: the path as asked
    }
    if (this.places.some((p) => p.path === real)) return;
    this.places.push({ session, path: real });
    this.save();
  }

  /** Every place remembered, in recording order. */
  all(): RecordingPlace[] {
    return [...this.places];
  }

  /** Forgets a deleted recording. */
  remove(path: string): void {
    const before = this.places.length;
    this.places = this.places.filter((p) => p.path !== path);
    if (this.places.length !== before) this.save();
  }

  private save(): void {
    if (!this.file) return;
    replacePrivateFile(this.file, `${JSON.stringify(this.places)}\n`);
  }
}

const PlacesFile = z.array(z.object({ session: z.string().min(1), path: z.string().startsWith("/") }));

function readPlaces(file: string): RecordingPlace[] {
  if (!existsSync(file)) return [];
  try {
    return PlacesFile.parse(JSON.parse(readFileSync(file, "utf8")));
  } catch {
    return []; // unreadable: those recordings are found by path in their folder no more, never wrongly
  }
}

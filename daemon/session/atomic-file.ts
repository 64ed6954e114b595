import { open, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * Writes `text` to `path` all at once or not at all: into a private temporary file beside it
 * (mode 0600, synced to disk), then renamed over `path`, then the folder synced so the rename
 * itself survives a power cut. A crash at any step leaves either the old file (or none) or the
 * whole new one, plus at worst a `<path>.<pid>.tmp` that no reader takes for the real thing.
 * Throws the file system's error (ENOSPC, EACCES ...) after removing the temporary file.
 */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    const file = await open(tmp, "w", 0o600);
    try {
      await file.chmod(0o600); // an existing leftover keeps its old mode otherwise
      await file.writeFile(text, "utf8");
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  const folder = await open(dirname(path), "r");
  try {
    await folder.sync();
  } catch {
    // Some file systems cannot sync a folder; the rename has happened all the same.
  } finally {
    await folder.close();
  }
}

import { chmodSync, existsSync, fchmodSync, mkdirSync, renameSync, statSync, writeFileSync } from "node:fs";

/** Mode bits that let anyone but the owner read, write or enter. */
const OTHERS = 0o077;

const octal = (mode: number) => (mode & 0o777).toString(8).padStart(4, "0");

/**
 * A folder that holds only the tool's files (RESCUE_HOME and its run/, logs/, recordings/,
 * snapshots/): made 0700, and an existing one that others may open is fixed with chmod, not only
 * reported, since nothing else lives there. Returns what was fixed, e.g. "/x/recordings was 0755".
 */
export function ownPrivateDir(path: string): string | undefined {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  const mode = statSync(path).mode;
  if ((mode & OTHERS) === 0) return undefined;
  chmodSync(path, 0o700);
  return `${path} was ${octal(mode)}`;
}

/**
 * A folder the technician chose (the folder of `--record-path`): made 0700 when it does not exist;
 * an existing one may be shared on purpose and keeps its mode, so this returns a warning to show
 * when others may open it (the files written there are 0600 all the same).
 */
export function chosenDir(path: string): string | undefined {
  if (!existsSync(path)) {
    mkdirSync(path, { recursive: true, mode: 0o700 });
    return undefined;
  }
  const mode = statSync(path).mode;
  if ((mode & OTHERS) === 0) return undefined;
  return `${path} is open to other users (mode ${octal(mode)}): the recording is 0600, but its name shows; chmod 700 it to hide it`;
}

/**
 * A file of the tool's that holds `what` (a secret, e.g. "the sign-in token"): when it exists and
 * others may read or write it, made 0600. Returns what was found and done, to be shown, e.g.
 * "/x/secrets.json holds the sign-in token but was 0644 (open to other users): now 0600", or, when
 * chmod is refused (another user's file), that it is still open and the command that closes it.
 */
export function ownSecretFile(path: string, what: string): string | undefined {
  const mode = statSync(path, { throwIfNoEntry: false })?.mode;
  if (mode === undefined || (mode & OTHERS) === 0) return undefined;
  try {
    chmodSync(path, 0o600);
    return `${path} holds ${what} but was ${octal(mode)} (open to other users): now 0600`;
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    return `${path} holds ${what} but is ${octal(mode)} (open to other users) and could not be changed (${why}): run chmod 600 ${path}`;
  }
}

/** A file of customer media or private data: 0600 even when it existed before with a looser mode. */
export function privateFile(fd: number): void {
  fchmodSync(fd, 0o600);
}

/**
 * Replaces `path` with `text` at once: written to a temporary file beside it (0600 even if one was
 * left behind with a looser mode), then renamed over it, so a reader never sees half a file and
 * the file is never open to others.
 */
export function replacePrivateFile(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/** The CLI's own failures, next to the RescueError codes that come over the wire. */
export class DaemonUnavailable extends Error {
  override readonly name: string = "DaemonUnavailable";
}

/** The daemon runs but speaks another local API version (an older rescued after an upgrade). */
export class DaemonVersionMismatch extends DaemonUnavailable {
  override readonly name = "DaemonVersionMismatch";
}

export class UsageError extends Error {
  override readonly name = "UsageError";
}

export class Interrupted extends Error {
  override readonly name = "Interrupted";
  constructor() {
    super("interrupted");
  }
}

/** A failure whose message was already shown (e.g. as JSON); only the exit code remains. */
export class ExitWith extends Error {
  override readonly name = "ExitWith";
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

export class NotLoggedIn extends Error {
  override readonly name = "NotLoggedIn";
  constructor(message = "not logged in: run rescue login --server URL") {
    super(message);
  }
}

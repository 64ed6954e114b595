import type { Server } from "node:http";
import { join } from "node:path";
import type { DaemonStatus } from "../src/protocol/index.js";
import { readProfile } from "../src/profile/config.js";
import { account, loadToken } from "../src/profile/credentials.js";
import type { HomePaths } from "../src/profile/home.js";
import { packageVersion } from "../src/profile/package.js";
import { Backend } from "./backend/client.js";
import { EventLog } from "./events.js";
import { createLocalApi, listenOnSocket } from "./localapi/server.js";
import { routes } from "./localapi/routes.js";
import type { Logger } from "./log.js";
import { SessionManager } from "./session/manager.js";
import { StartMemory } from "./session/start-memory.js";
import { RecordingPlaces } from "./session/recording-places.js";
import { finaliseOrphanRecordings } from "./session/recording-finaliser.js";
import type { DaemonSettings } from "./settings.js";
import { SessionState } from "./session/state.js";

/** The daemon's parts, wired together: event log, session list, backend connection, media, local API. */
export class Daemon {
  readonly events = new EventLog();
  readonly sessions = new SessionState(this.events, () => this.backend.email);
  readonly backend: Backend;
  readonly manager: SessionManager;
  private readonly startedAt = new Date().toISOString();
  private readonly version = packageVersion();
  private server: Server | null = null;
  private stopping: Promise<void> | null = null;
  /** The start-up sweep that gives crashed recordings their manifests; stopped and awaited on shutdown. */
  private finalising: Promise<unknown> = Promise.resolve();
  private readonly stopFinalising = new AbortController();
  private readonly stopped: Promise<void>;
  private resolveStopped!: () => void;

  constructor(
    readonly paths: HomePaths,
    readonly log: Logger,
    settings: DaemonSettings = { iceHostAddresses: [], heartbeatMs: undefined },
  ) {
    this.backend = new Backend(this.events, this.sessions, log, settings.heartbeatMs);
    this.manager = new SessionManager(
      this.backend,
      this.events,
      log,
      paths.recordings,
      settings.iceHostAddresses,
      new StartMemory(join(paths.runDir, "media-starts.json")),
      new RecordingPlaces(join(paths.home, "recording-places.json")),
    );
    this.stopped = new Promise((r) => (this.resolveStopped = r));
  }

  async start(): Promise<void> {
    await this.reload();
    this.server = createLocalApi(routes(this), this.log);
    await listenOnSocket(this.server, this.paths.runDir, this.paths.socket);
    this.log.info(`rescued ${this.version} pid ${process.pid} listening on ${this.paths.socket}`);
    // In the background: the local API answers at once, and hashing a long recording takes a while.
    this.finalising = this.manager
      .crashFinalising(
        finaliseOrphanRecordings({
          dir: this.paths.recordings,
          isLive: (path) => this.manager.isRecordingTo(path),
          log: this.log,
          signal: this.stopFinalising.signal,
        }),
      )
      .catch((e: unknown) => this.log.warn(`recordings left by a crash were not finalised: ${(e as Error).message}`));
  }

  /** Re-reads the saved login (after `rescue login` or `logout`) and reconnects with it. */
  async reload(): Promise<void> {
    const profile = readProfile(this.paths.home);
    const token = profile ? await loadToken(this.paths.secrets, account(profile.server, profile.email), profile.storage, (m) => this.log.warn(m)) : null;
    if (profile && token) {
      this.log.info(`using the login of ${profile.email} on ${profile.server} (token from ${profile.storage})`);
      this.backend.setCredentials({ server: profile.server, email: profile.email, token });
    } else {
      this.log.info("no saved login");
      this.backend.setCredentials(null);
    }
  }

  status(): DaemonStatus {
    return {
      pid: process.pid,
      version: this.version,
      startedAt: this.startedAt,
      home: this.paths.home,
      server: this.backend.server,
      technician: this.backend.email,
      backend: {
        state: this.backend.state,
        since: this.backend.since,
        ...(this.backend.lastError ? { lastError: this.backend.lastError } : {}),
      },
    };
  }

  /** Resolves once the daemon has stopped, whoever asked. */
  whenStopped(): Promise<void> {
    return this.stopped;
  }

  shutdown(reason: string): Promise<void> {
    this.stopping ??= (async () => {
      this.log.info(`stopping: ${reason}`);
      this.stopFinalising.abort();
      await this.finalising;
      await this.manager.close();
      this.backend.close();
      const server = this.server;
      if (server) {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      }
      this.resolveStopped();
    })();
    return this.stopping;
  }
}

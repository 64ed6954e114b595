import { createServer, connect, type Server, type Socket } from "node:net";

/**
 * A TCP forwarder on a fixed port in front of the server, so a test can cut the daemon off
 * (and restart the server on another port) while the daemon keeps the same server URL.
 */
export class TcpProxy {
  private server: Server | null = null;
  private sockets = new Set<Socket>();
  port = 0;

  constructor(private target: number) {}

  async open(target = this.target): Promise<void> {
    this.target = target;
    const server = createServer((client) => {
      const upstream = connect(this.target, "127.0.0.1");
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.server = server;
    const addr = server.address();
    if (addr && typeof addr === "object") this.port = addr.port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /**
   * Stops forwarding on every open connection without closing any: the link is a black hole, as
   * when a laptop sleeps or a route dies. New connections are forwarded as before.
   */
  freeze(): void {
    for (const s of this.sockets) {
      s.unpipe();
      s.pause();
    }
  }

  /** Drops every connection and stops accepting: to the daemon the server is gone. */
  async cut(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { SESSION_STATUSES, type SessionStatus } from "../protocol/index.js";
import type { Delivery, SendReceipt } from "./delivery/carriers.js";

export type SocketRole = "technician" | "customer";
/** queued: kept in the outbox (no carrier); sent: a carrier took it; failed: a carrier refused it. */
export type DeliveryResult = "queued" | "sent" | "failed";
export type PinResult = "accepted" | "wrong" | "throttled";

/**
 * The server's Prometheus metrics, one registry per server (several run in one test process).
 * Names follow Prometheus conventions: `rescue_` prefix, `_total` counters, seconds for time.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly pinChecks: Counter<"result">;
  readonly sockets: Gauge<"role">;
  readonly socketsOpened: Counter<"role">;
  readonly deliveries: Counter<"channel" | "result">;
  readonly httpDuration: Histogram<"method" | "route" | "status_code">;
  readonly customerJoinDuration: Histogram;

  /** `countSessions` is asked at every scrape: the store holds the truth, also across restarts. */
  constructor(countSessions: () => Promise<Partial<Record<SessionStatus, number>>>) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: "rescue_" });
    new Gauge({
      name: "rescue_sessions",
      help: "Sessions in the store by status",
      labelNames: ["status"],
      registers,
      async collect() {
        const counts = await countSessions();
        for (const status of SESSION_STATUSES) this.set({ status }, counts[status] ?? 0);
      },
    });
    this.pinChecks = new Counter({
      name: "rescue_pin_checks_total",
      help: "PIN checks by customers and invited technicians: accepted, wrong (no such live PIN) or throttled (refused before any lookup)",
      labelNames: ["result"],
      registers,
    });
    this.sockets = new Gauge({ name: "rescue_websocket_connections", help: "Open WebSocket connections by role", labelNames: ["role"], registers });
    this.socketsOpened = new Counter({ name: "rescue_websocket_connections_opened_total", help: "WebSocket connections accepted by role", labelNames: ["role"], registers });
    this.deliveries = new Counter({
      name: "rescue_deliveries_total",
      help: "SMS and emails handed on: queued (outbox, no carrier), sent (a carrier took it), failed (a carrier refused it)",
      labelNames: ["channel", "result"],
      registers,
    });
    this.httpDuration = new Histogram({
      name: "rescue_http_request_duration_seconds",
      help: "HTTP request latency by route pattern (never the raw URL: it may hold a PIN)",
      labelNames: ["method", "route", "status_code"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.customerJoinDuration = new Histogram({
      name: "rescue_customer_join_duration_seconds",
      help: "Accepted customer joins: from the join message's arrival at the server to `joined` written to the customer's socket",
      // Fine below 10 ms, where the PIN check's target (5 ms at p99) lies.
      buckets: [0.0005, 0.001, 0.0015, 0.002, 0.0025, 0.003, 0.004, 0.005, 0.006, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.1, 0.25, 1],
      registers,
    });
    for (const role of ["technician", "customer"] as const) {
      this.sockets.set({ role }, 0);
      this.socketsOpened.inc({ role }, 0);
    }
    for (const result of ["accepted", "wrong", "throttled"] as const) this.pinChecks.inc({ result }, 0);
  }

  /** Counts a socket from now until its `close` event. */
  trackSocket(role: SocketRole, socket: { once(event: "close", listener: () => void): unknown }): void {
    this.sockets.inc({ role });
    this.socketsOpened.inc({ role });
    socket.once("close", () => this.sockets.dec({ role }));
  }

  /**
   * Carriers that count what they hand on: `queued` when the receipt says the message only reached
   * the outbox, `sent` when a carrier took it (its receipt, or none), `failed` when sending threw.
   */
  countDeliveries(delivery: Delivery): Delivery {
    const counted =
      <M>(channel: "sms" | "email", send: (message: M) => Promise<SendReceipt | void>) =>
      async (message: M): Promise<SendReceipt | void> => {
        let receipt: SendReceipt | void;
        try {
          receipt = await send(message);
        } catch (err) {
          this.deliveries.inc({ channel, result: "failed" });
          throw err;
        }
        this.deliveries.inc({ channel, result: receipt?.status === "queued" ? "queued" : "sent" });
        return receipt;
      };
    return {
      sms: {
        send: counted("sms", (m: Parameters<Delivery["sms"]["send"]>[0]) => delivery.sms.send(m)),
        ...(delivery.sms.verifyCallback ? { verifyCallback: delivery.sms.verifyCallback.bind(delivery.sms) } : {}),
      },
      email: { send: counted("email", (m: Parameters<Delivery["email"]["send"]>[0]) => delivery.email.send(m)) },
    };
  }

  /** The text exposition format, and its content type. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

import type { Delivery, TwilioStatusCallback } from "../../protocol/index.js";

/** A session's delivery as stored: what technicians see, plus the carrier's id for the message. */
export type StoredDelivery = Delivery & { carrierId?: string };

/** What technicians see of a stored delivery: the carrier's message id stays on the server. */
export function deliveryView(stored: StoredDelivery): Delivery {
  const { carrierId: _carrierId, ...view } = stored;
  return view;
}

/**
 * Twilio's message error codes a technician meets most, in words
 * (https://www.twilio.com/docs/api/errors); others show as the code alone.
 */
const TWILIO_ERRORS: Record<number, string> = {
  30001: "queue overflow",
  30002: "account suspended",
  30003: "unreachable destination handset",
  30004: "message blocked",
  30005: "unknown destination handset",
  30006: "landline or unreachable carrier",
  30007: "filtered by the carrier",
  30008: "unknown error",
  30010: "message price exceeds max price",
  21610: "the recipient has opted out (STOP)",
};

export interface ReportOutcome {
  next: StoredDelivery;
  /** The log event the change is, when it is one a technician needs (delivered, failed). */
  event?: "delivered" | "failed";
}

/**
 * Lays a Twilio status callback over the stored delivery. Twilio may report out of order (a
 * `sent` after `delivered`), so a final status (delivered, failed) is never replaced; the steps
 * before it (queued, sending, sent ...) keep the status `sent` and only update carrierStatus.
 * Returns undefined when the report is about another message than the one stored.
 */
export function applyTwilioReport(current: StoredDelivery, report: TwilioStatusCallback, at: string): ReportOutcome | undefined {
  if (!current.carrierId || current.carrierId !== report.MessageSid) return undefined;
  if (current.status === "delivered" || current.status === "failed") return { next: current };
  const code = report.ErrorCode ? Number(report.ErrorCode) : undefined;
  const carrier = { carrierStatus: report.MessageStatus, updatedAt: at };
  switch (report.MessageStatus) {
    case "delivered":
    case "read":
      return { next: { ...current, ...carrier, status: "delivered" }, event: "delivered" };
    case "failed":
    case "undelivered":
    case "canceled": {
      const words = code !== undefined ? TWILIO_ERRORS[code] : undefined;
      const reason = `the carrier reports the message ${report.MessageStatus}${words ? `: ${words}` : ""}${code !== undefined ? ` (Twilio error ${code})` : ""}`;
      return { next: { ...current, ...carrier, status: "failed", reason, ...(code !== undefined ? { code } : {}) }, event: "failed" };
    }
    default:
      return { next: { ...current, ...carrier } };
  }
}

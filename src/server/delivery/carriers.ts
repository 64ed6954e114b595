import type { Store } from "../store/types.js";

/**
 * What a carrier did with a message. `queued`: it stayed on this machine (the outbox);
 * `sent`: a carrier took it, under `carrierId` when it gave one (Twilio's message SID).
 */
export interface SendReceipt {
  status: "queued" | "sent";
  carrierId?: string;
}

/** Sends one text message; rejects with a reason the technician may read. Nothing returned means sent. */
export interface SmsCarrier {
  /** `statusCallback`: the URL a carrier that reports delivery (Twilio) posts its status reports to. */
  send(message: { to: string; body: string; statusCallback?: string }): Promise<SendReceipt | void>;
  /**
   * Whether a status report posted to `url` (the full public URL, query included) with these
   * form fields really comes from the carrier; absent on carriers that never call back.
   */
  verifyCallback?(url: string, params: Record<string, string>, signature: string | undefined): boolean;
}

export interface EmailCarrier {
  send(message: { to: string; subject: string; body: string }): Promise<SendReceipt | void>;
}

export interface Delivery {
  sms: SmsCarrier;
  email: EmailCarrier;
}

/** The dev default: nothing leaves the machine, every message is recorded in the store's outbox and reported queued. */
export function outboxDelivery(store: Store, now: () => Date): Delivery {
  return {
    sms: {
      send: async ({ to, body }) => {
        await store.outbox.append({ channel: "sms", to, subject: null, body, at: now().toISOString() });
        return { status: "queued" };
      },
    },
    email: {
      send: async ({ to, subject, body }) => {
        await store.outbox.append({ channel: "email", to, subject, body, at: now().toISOString() });
        return { status: "queued" };
      },
    },
  };
}

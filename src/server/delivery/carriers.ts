import type { Store } from "../store/types.js";

/** Sends one text message; rejects with a reason the technician may read. */
export interface SmsCarrier {
  send(message: { to: string; body: string }): Promise<void>;
}

export interface EmailCarrier {
  send(message: { to: string; subject: string; body: string }): Promise<void>;
}

export interface Delivery {
  sms: SmsCarrier;
  email: EmailCarrier;
}

/** The dev default: nothing leaves the machine, every message is recorded in the store's outbox. */
export function outboxDelivery(store: Store, now: () => Date): Delivery {
  return {
    sms: { send: async ({ to, body }) => store.outbox.append({ channel: "sms", to, subject: null, body, at: now().toISOString() }) },
    email: {
      send: async ({ to, subject, body }) => store.outbox.append({ channel: "email", to, subject, body, at: now().toISOString() }),
    },
  };
}

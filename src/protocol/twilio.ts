import * as z from "zod";

/**
 * Twilio's message status callback, as it POSTs it (form-encoded) to the StatusCallback URL
 * given when the message was sent: https://www.twilio.com/docs/messaging/guides/track-outbound-message-status.
 * Twilio sends more fields (AccountSid, From, To, ApiVersion, SmsSid, SmsStatus ...) and may add
 * new ones; they are kept, since the request's signature covers every one of them.
 */
export const TwilioStatusCallback = z.looseObject({
  MessageSid: z.string().regex(/^(SM|MM)[0-9a-fA-F]{32}$/, "a message SID is SM or MM and 32 hex digits"),
  MessageStatus: z.enum(["accepted", "scheduled", "queued", "sending", "sent", "delivered", "undelivered", "failed", "read", "canceled", "receiving", "received"]),
  /** Twilio's error code when the message failed or was undelivered, e.g. 30003. */
  ErrorCode: z.string().regex(/^\d{1,6}$/).optional(),
  AccountSid: z.string().max(64).optional(),
});
export type TwilioStatusCallback = z.infer<typeof TwilioStatusCallback>;

/** The header carrying Twilio's signature of a callback (HMAC-SHA1 with the auth token, base64). */
export const TWILIO_SIGNATURE_HEADER = "x-twilio-signature";

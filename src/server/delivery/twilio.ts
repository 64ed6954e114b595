import { createHmac, timingSafeEqual } from "node:crypto";
import { request } from "undici";
import * as z from "zod";
import type { SmsCarrier } from "./carriers.js";

export interface TwilioConfig {
  accountSid: string;
  authToken: string;
  /** The sending number (E.164) or messaging service's sender. */
  from: string;
  /** https://api.twilio.com unless a test or a proxy says otherwise. */
  baseUrl: string;
}

export const TWILIO_BASE_URL = "https://api.twilio.com";

/** Twilio's error body, https://www.twilio.com/docs/api/errors. */
const TwilioError = z.object({
  code: z.number().nullable().optional(),
  message: z.string(),
  more_info: z.string().nullable().optional(),
  status: z.number().optional(),
});

const TwilioMessage = z.object({ sid: z.string(), status: z.string() });

const TIMEOUT_MS = 15_000;

/** Why Twilio refused, in words a technician can act on; never holds the credentials. */
function refusal(status: number, text: string): string {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const parsed = TwilioError.safeParse(body);
  if (!parsed.success) return `SMS carrier answered HTTP ${status}`;
  const { code, message } = parsed.data;
  return code ? `${message} (Twilio error ${code}, HTTP ${status})` : `${message} (HTTP ${status})`;
}

/**
 * Twilio's request signature: HMAC-SHA1 keyed with the auth token over the full URL Twilio
 * called, followed by every POST parameter as name then value, sorted by name (and by value
 * within a name), base64. The route that checks it refuses repeated fields anyway. https://www.twilio.com/docs/usage/security#validating-requests
 */
export function twilioSignature(authToken: string, url: string, params: Record<string, string | string[]>): string {
  let data = url;
  for (const name of Object.keys(params).sort()) {
    const values = params[name]!;
    // A repeated field counts each distinct value once, sorted (as Twilio's own validators do).
    for (const value of [...new Set(Array.isArray(values) ? values : [values])].sort()) data += name + value;
  }
  return createHmac("sha1", authToken).update(data, "utf8").digest("base64");
}

/** Whether `signature` is Twilio's for this request; compared in constant time. */
export function validTwilioSignature(authToken: string, url: string, params: Record<string, string | string[]>, signature: string | undefined): boolean {
  if (!signature) return false;
  const expected = Buffer.from(twilioSignature(authToken, url, params));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Sends SMS with Twilio's Messages API: one form-encoded POST per message, basic auth SID:token.
 * With a `statusCallback` URL Twilio posts the message's progress there (verified with
 * `verifyCallback`). Resolves with the message SID.
 */
export function twilioSms(config: TwilioConfig): SmsCarrier {
  const url = `${config.baseUrl.replace(/\/+$/, "")}/2010-04-01/Accounts/${encodeURIComponent(config.accountSid)}/Messages.json`;
  const authorization = `Basic ${Buffer.from(`${config.accountSid}:${config.authToken}`).toString("base64")}`;
  return {
    async send({ to, body, statusCallback }) {
      let res;
      try {
        res = await request(url, {
          method: "POST",
          headers: { authorization, "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
          body: new URLSearchParams({ To: to, From: config.from, Body: body, ...(statusCallback ? { StatusCallback: statusCallback } : {}) }).toString(),
          headersTimeout: TIMEOUT_MS,
          bodyTimeout: TIMEOUT_MS,
        });
      } catch (err) {
        throw new Error(`SMS carrier unreachable: ${err instanceof Error ? err.message : String(err)}`);
      }
      const text = await res.body.text();
      if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(refusal(res.statusCode, text));
      let reply: unknown;
      try {
        reply = JSON.parse(text);
      } catch {
        reply = undefined;
      }
      const message = TwilioMessage.safeParse(reply);
      if (!message.success) throw new Error(`SMS carrier answered HTTP ${res.statusCode} without a message`);
      if (message.data.status === "failed" || message.data.status === "undelivered") {
        throw new Error(`SMS carrier reports the message ${message.data.status}`);
      }
      return { status: "sent", carrierId: message.data.sid };
    },
    verifyCallback: (url, params, signature) => validTwilioSignature(config.authToken, url, params, signature),
  };
}

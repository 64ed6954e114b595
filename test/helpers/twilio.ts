import { createServer, type Server } from "node:http";
import { request } from "undici";
import { twilioSignature } from "../../src/server/delivery/twilio.js";

/** One request the fake Twilio received, decoded. */
export interface TwilioRequest {
  accountSid: string;
  authorization: string | undefined;
  contentType: string | undefined;
  form: Record<string, string>;
}

export interface TwilioReply {
  status: number;
  body: string;
}

/** One status callback the fake posted, and how the server answered it. */
export interface TwilioCallback {
  url: string;
  form: Record<string, string>;
  signature: string;
  status: number;
}

/** A message's course after Twilio accepted it: the statuses it calls back with, in order. */
export type TwilioCourse = { MessageStatus: string; ErrorCode?: string }[];

export const DELIVERED: TwilioCourse = [{ MessageStatus: "queued" }, { MessageStatus: "sent" }, { MessageStatus: "delivered" }];
export const UNDELIVERED_30003: TwilioCourse = [{ MessageStatus: "queued" }, { MessageStatus: "sent" }, { MessageStatus: "undelivered", ErrorCode: "30003" }];

export interface FakeTwilio {
  baseUrl: string;
  requests: TwilioRequest[];
  /** Every status callback posted, in order. */
  callbacks: TwilioCallback[];
  /** Makes the next messages to `to` get this reply instead of a queued message. */
  replyFor(to: string, reply: TwilioReply): void;
  /** The statuses messages to `to` call back with (DELIVERED by default). */
  courseFor(to: string, course: TwilioCourse): void;
  /** Makes messages to `to` call back before the send is answered (the answer follows 300 ms later), as a busy API may. */
  reportEarly(to: string): void;
  /** Resolves once every callback of the messages accepted so far has been answered. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

/** Twilio's error body, as the real API sends it. */
export function twilioError(status: number, code: number, message: string): TwilioReply {
  return { status, body: JSON.stringify({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }) };
}

/**
 * A local HTTP server speaking the part of Twilio's Messages API the server uses: checks the
 * path, basic auth and form fields the way Twilio does, and answers with Twilio's JSON. A message
 * sent with a StatusCallback URL is then reported there as Twilio does: one form-encoded POST per
 * status (queued, sent, delivered; or undelivered/failed with an ErrorCode), each signed with
 * X-Twilio-Signature over the StatusCallback URL and the fields, one after the other.
 * `reach` maps the signed public URL to where the server really listens (a proxy's job in production).
 */
export async function startFakeTwilio(
  credentials: { accountSid: string; authToken: string },
  opts: { reach?: (url: string) => string } = {},
): Promise<FakeTwilio> {
  const requests: TwilioRequest[] = [];
  const callbacks: TwilioCallback[] = [];
  const courses = new Map<string, TwilioCourse>();
  const early = new Set<string>();
  const pending: Promise<void>[] = [];
  const replies = new Map<string, TwilioReply>();
  const expected = `Basic ${Buffer.from(`${credentials.accountSid}:${credentials.authToken}`).toString("base64")}`;
  let sent = 0;

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const answer = ({ status, body }: TwilioReply) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(body);
      };
      const m = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(req.url ?? "");
      if (req.method !== "POST" || !m) return answer(twilioError(404, 20404, "The requested resource was not found"));
      const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString("utf8")));
      requests.push({ accountSid: decodeURIComponent(m[1]!), authorization: req.headers.authorization, contentType: req.headers["content-type"], form });
      if (req.headers.authorization !== expected || m[1] !== credentials.accountSid) return answer(twilioError(401, 20003, "Authenticate"));
      if (!form.To) return answer(twilioError(400, 21604, "A 'To' phone number is required."));
      if (!form.Body) return answer(twilioError(400, 21602, "Message body is required."));
      const canned = replies.get(form.To);
      if (canned) return answer(canned);
      sent++;
      const sid = `SM${String(sent).padStart(32, "0")}`;
      const reply = () => answer({ status: 201, body: JSON.stringify({ sid, status: "queued", to: form.To, from: form.From, body: form.Body }) });
      if (early.has(form.To)) setTimeout(reply, 300);
      else reply();
      if (form.StatusCallback) pending.push(callBack(form.StatusCallback, sid, form, courses.get(form.To) ?? DELIVERED));
    });
  });
  async function callBack(url: string, sid: string, message: Record<string, string>, course: TwilioCourse): Promise<void> {
    for (const step of course) {
      const form: Record<string, string> = {
        AccountSid: credentials.accountSid,
        ApiVersion: "2010-04-01",
        From: message.From ?? "",
        MessageSid: sid,
        MessageStatus: step.MessageStatus,
        SmsSid: sid,
        SmsStatus: step.MessageStatus,
        To: message.To ?? "",
        ...(step.ErrorCode ? { ErrorCode: step.ErrorCode } : {}),
      };
      const signature = twilioSignature(credentials.authToken, url, form);
      let status = 0; // unreachable, as Twilio logs it (error 11200) and gives up
      const target = opts.reach ? opts.reach(url) : url;
      // Tests reach loopback only: a public URL with no `reach` counts as unreachable, unresolved.
      if (!/^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(new URL(target).hostname)) {
        callbacks.push({ url, form, signature, status });
        return;
      }
      try {
        const res = await request(target, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature, "user-agent": "TwilioProxy/1.1" },
          body: new URLSearchParams(form).toString(),
        });
        await res.body.dump();
        status = res.statusCode;
      } catch {
        // recorded below with status 0
      }
      callbacks.push({ url, form, signature, status });
      if (status === 0) return;
    }
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    callbacks,
    replyFor: (to, reply) => replies.set(to, reply),
    courseFor: (to, course) => courses.set(to, course),
    reportEarly: (to) => early.add(to),
    settled: async () => {
      await Promise.all(pending);
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

import { createServer, type Server } from "node:http";

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

export interface FakeTwilio {
  baseUrl: string;
  requests: TwilioRequest[];
  /** Makes the next messages to `to` get this reply instead of a queued message. */
  replyFor(to: string, reply: TwilioReply): void;
  close(): Promise<void>;
}

/** Twilio's error body, as the real API sends it. */
export function twilioError(status: number, code: number, message: string): TwilioReply {
  return { status, body: JSON.stringify({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }) };
}

/**
 * A local HTTP server speaking the part of Twilio's Messages API the server uses: checks the
 * path, basic auth and form fields the way Twilio does, and answers with Twilio's JSON.
 */
export async function startFakeTwilio(credentials: { accountSid: string; authToken: string }): Promise<FakeTwilio> {
  const requests: TwilioRequest[] = [];
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
      answer({
        status: 201,
        body: JSON.stringify({ sid: `SM${String(sent).padStart(32, "0")}`, status: "queued", to: form.To, from: form.From, body: form.Body }),
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    replyFor: (to, reply) => replies.set(to, reply),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

import { createServer, type Socket } from "node:net";

export interface ReceivedMail {
  from: string;
  to: string[];
  /** The raw message: headers, blank line, body (dot-unstuffed). */
  data: string;
  /** The user who authenticated, if any. */
  user?: string;
}

export interface FakeSmtp {
  host: string;
  port: number;
  mails: ReceivedMail[];
  /** RCPT TO these addresses is refused with this reply, e.g. "550 5.1.1 mailbox unavailable". */
  refuse(address: string, reply: string): void;
  close(): Promise<void>;
}

/**
 * A minimal SMTP server on 127.0.0.1: EHLO, AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT, enough
 * for nodemailer without TLS. With `credentials`, mail is refused until the client authenticates.
 */
export async function startFakeSmtp(credentials?: { user: string; password: string }): Promise<FakeSmtp> {
  const mails: ReceivedMail[] = [];
  const refusals = new Map<string, string>();
  const sockets = new Set<Socket>();

  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    const reply = (line: string) => socket.write(`${line}\r\n`);
    let buffer = "";
    let inData = false;
    let user: string | undefined;
    let mail: ReceivedMail | undefined;
    reply("220 fake-smtp ESMTP ready");

    const command = (line: string) => {
      const verb = line.split(" ")[0]!.toUpperCase();
      const arg = (re: RegExp) => re.exec(line)?.[1] ?? "";
      switch (verb) {
        case "EHLO":
          return reply(`250-fake-smtp\r\n250-8BITMIME\r\n250-SMTPUTF8${credentials ? "\r\n250-AUTH PLAIN" : ""}\r\n250 OK`);
        case "HELO":
          return reply("250 fake-smtp");
        case "AUTH": {
          const [, mech, initial] = line.split(" ");
          if (mech?.toUpperCase() !== "PLAIN" || !initial) return reply("504 5.5.4 only AUTH PLAIN with an initial response");
          const [, u, p] = Buffer.from(initial, "base64").toString("utf8").split("\0");
          if (!credentials || u !== credentials.user || p !== credentials.password) return reply("535 5.7.8 Authentication credentials invalid");
          user = u;
          return reply("235 2.7.0 Authentication successful");
        }
        case "MAIL":
          if (credentials && !user) return reply("530 5.7.0 Authentication required");
          mail = { from: arg(/FROM:\s*<([^>]*)>/i), to: [], data: "", ...(user ? { user } : {}) };
          return reply("250 2.1.0 OK");
        case "RCPT": {
          if (!mail) return reply("503 5.5.1 MAIL first");
          const to = arg(/TO:\s*<([^>]*)>/i);
          const refused = refusals.get(to.toLowerCase());
          if (refused) return reply(refused);
          mail.to.push(to);
          return reply("250 2.1.5 OK");
        }
        case "DATA":
          if (!mail || mail.to.length === 0) return reply("503 5.5.1 RCPT first");
          inData = true;
          return reply("354 End data with <CR><LF>.<CR><LF>");
        case "RSET":
          mail = undefined;
          return reply("250 OK");
        case "NOOP":
          return reply("250 OK");
        case "QUIT":
          reply("221 2.0.0 Bye");
          return socket.end();
        default:
          return reply("502 5.5.2 command not recognised");
      }
    };

    socket.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("utf8");
      for (;;) {
        if (inData) {
          const end = buffer.indexOf("\r\n.\r\n");
          if (end < 0) return;
          mail!.data = buffer.slice(0, end).replace(/^\.\./gm, ".");
          buffer = buffer.slice(end + 5);
          inData = false;
          mails.push(mail!);
          mail = undefined;
          reply("250 2.0.0 queued");
          continue;
        }
        const eol = buffer.indexOf("\r\n");
        if (eol < 0) return;
        const line = buffer.slice(0, eol);
        buffer = buffer.slice(eol + 2);
        command(line);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    host: "127.0.0.1",
    port,
    mails,
    refuse: (address, line) => refusals.set(address.toLowerCase(), line),
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The text body of a received mail, decoded from quoted-printable when so marked. */
export function mailText(mail: ReceivedMail): string {
  const split = mail.data.indexOf("\r\n\r\n");
  const headers = mail.data.slice(0, split);
  const body = mail.data.slice(split + 4);
  if (!/^Content-Transfer-Encoding:\s*quoted-printable/im.test(headers)) return body;
  const bytes = body.replace(/=\r\n/g, "").replace(/=([0-9A-F]{2})/gi, (_, hex: string) => `%${hex}`);
  return decodeURIComponent(bytes.replace(/%(?![0-9A-F]{2})/gi, "%25"));
}

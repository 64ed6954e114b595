import { createTransport } from "nodemailer";
import type { EmailCarrier } from "./carriers.js";

export interface SmtpConfig {
  host: string;
  port: number;
  /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
  secure: boolean;
  user?: string;
  password?: string;
  /** The sender, e.g. "Rescue <support@example.com>". */
  from: string;
}

/** Sends email over SMTP with nodemailer; a refusal carries the server's reply as the reason. */
export function smtpEmail(config: SmtpConfig): EmailCarrier {
  const transport = createTransport({
    host: config.host,
    port: config.port,
    secure: config.secure,
    ...(config.user ? { auth: { user: config.user, pass: config.password ?? "" } } : {}),
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 15_000,
  });
  return {
    async send({ to, subject, body }) {
      try {
        await transport.sendMail({ from: config.from, to, subject, text: body });
      } catch (err) {
        const e = err as { response?: string; message?: string };
        throw new Error(`email not accepted: ${e.response ?? e.message ?? String(err)}`);
      }
    },
  };
}

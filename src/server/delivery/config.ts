import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import * as z from "zod";
import { Email, RescueError } from "../../protocol/index.js";
import type { Delivery } from "./carriers.js";
import { smtpEmail } from "./smtp.js";
import { TWILIO_BASE_URL, twilioSms } from "./twilio.js";

/** The delivery settings file in the data folder; it holds secrets, so it must be 0600. */
export const DELIVERY_FILE = "delivery.json";

/**
 * `{"twilio": {...}, "smtp": {...}}`; a channel left out records to the outbox.
 * Example:
 *   {"twilio": {"accountSid": "AC...", "authToken": "...", "from": "+15005550006"},
 *    "smtp": {"host": "smtp.example.com", "port": 587, "user": "rescue", "password": "...", "from": "Rescue <support@example.com>"}}
 */
export const DeliveryConfig = z
  .object({
    twilio: z
      .object({
        accountSid: z.string().regex(/^AC[0-9a-zA-Z]{8,64}$/, "an account SID starts with AC"),
        authToken: z.string().min(8).max(256),
        from: z.string().min(3).max(64),
        baseUrl: z.string().url().default(TWILIO_BASE_URL),
      })
      .strict()
      .optional(),
    smtp: z
      .object({
        host: z.string().min(1).max(253),
        port: z.number().int().min(1).max(65535).default(587),
        secure: z.boolean().default(false),
        user: z.string().min(1).max(254).optional(),
        password: z.string().max(1024).optional(),
        from: z.union([Email, z.string().regex(/^[^<>]*<[^<>@\s]+@[^<>\s]+>$/, "an address or Name <address>")]),
      })
      .strict()
      .optional(),
  })
  .strict();
export type DeliveryConfig = z.infer<typeof DeliveryConfig>;

/** Reads the delivery settings; none when the file is absent. Refuses a file others may read. */
export function loadDeliveryConfig(file: string): DeliveryConfig | undefined {
  if (!existsSync(file)) return undefined;
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new RescueError("forbidden", `${file} holds secrets but is readable by others (mode ${mode.toString(8)}); run: chmod 600 ${file}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    throw new RescueError("bad_request", `${file} is not valid JSON`);
  }
  const parsed = DeliveryConfig.safeParse(raw);
  // Issues name the paths only, never the values: the file holds secrets.
  if (!parsed.success) {
    throw new RescueError("bad_request", `${file}: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(top)"}: ${i.message}`).join("; ")}`);
  }
  return parsed.data;
}

export function deliveryFileIn(dataDir: string): string {
  return join(dataDir, DELIVERY_FILE);
}

/** The real carriers the settings name; the rest stays on the outbox. */
export function carriersFrom(config: DeliveryConfig | undefined): Partial<Delivery> {
  return {
    ...(config?.twilio ? { sms: twilioSms(config.twilio) } : {}),
    ...(config?.smtp ? { email: smtpEmail(config.smtp) } : {}),
  };
}

/** Which carrier each channel uses, for the start-up line; no secrets. */
export function describeDelivery(config: DeliveryConfig | undefined): string {
  const sms = config?.twilio ? `Twilio (${config.twilio.accountSid}, from ${config.twilio.from})` : "outbox";
  const email = config?.smtp ? `SMTP ${config.smtp.host}:${config.smtp.port}` : "outbox";
  return `sms: ${sms}; email: ${email}`;
}

import * as z from "zod";
import { CONTROL_CHARACTERS, oneLine } from "./text.js";

/** Largest JSON body or WebSocket message any side accepts. */
export const MAX_MESSAGE_BYTES = 64 * 1024;

/** A list of `item`, for callers that do not import zod themselves (the CLI's lazy loaders). */
export const listOf = <S extends z.ZodType>(item: S) => z.array(item);

export const PERMISSIONS = [
  "lens",
  "private",
  "pin",
  "sms",
  "link",
  "email",
  "invite-internal",
  "invite-external",
  /** With invite-external: also external technicians who are not on the admins' approved list. */
  "invite-unlisted",
  "transfer",
  "record",
  "chat",
] as const;
export const Permission = z.enum(PERMISSIONS);
export type Permission = z.infer<typeof Permission>;

export const SESSION_STATUSES = [
  "connecting",
  "waiting",
  "active",
  "on-hold",
  "collaborating",
  "closed",
  "timed-out",
  "declined",
  "aborted",
] as const;
export const SessionStatus = z.enum(SESSION_STATUSES);
export type SessionStatus = z.infer<typeof SessionStatus>;

/** Statuses a session never leaves. */
export const TERMINAL_STATUSES: readonly SessionStatus[] = ["closed", "timed-out", "declined", "aborted"];

export const SessionType = z.enum(["lens", "desktop"]);
export type SessionType = z.infer<typeof SessionType>;

/** `control` is reserved for a future agent; the server refuses it for now. */
export const SessionMode = z.enum(["view", "control"]);
export type SessionMode = z.infer<typeof SessionMode>;

export const ConnectionMethod = z.enum(["pin", "sms", "link", "email"]);
export type ConnectionMethod = z.infer<typeof ConnectionMethod>;

export const Language = z.enum(["en", "nl", "de"]);
export type Language = z.infer<typeof Language>;

export const Pin = z.string().regex(/^\d{6}$/, "a PIN is 6 digits");
export const Email = z.string().trim().toLowerCase().email().max(254);
export const IsoTime = z.string().datetime({ offset: true });
export const Id = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/);
/** Free text typed by people: names, chat, comments. */
export { CONTROL_CHARACTERS };

/** Text people type (names, chat, comments): trimmed, 1..max characters, no control characters. */
export const Text = (max: number) =>
  z.string().trim().min(1).max(max).refine((s) => !CONTROL_CHARACTERS.test(s), { message: "must not contain control characters" });

/**
 * Text a machine reports for people to read (a browser's error, a daemon's reason): up to `max`
 * characters as sent, as one line with every control character in caret notation (`^[`, and `^J`
 * for a newline), so that one printed on a technician's terminal cannot clear, recolour or retitle
 * it, nor print a line that looks like another log entry, and nothing is lost.
 */
export const Printable = (max: number) => z.string().max(max).transform(oneLine);

export const IceServer = z.object({
  urls: z.union([z.string(), z.array(z.string())]),
  username: z.string().optional(),
  credential: z.string().optional(),
});
export type IceServer = z.infer<typeof IceServer>;

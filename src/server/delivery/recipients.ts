import { parsePhoneNumberFromString } from "libphonenumber-js";
import { Email, RescueError } from "../../protocol/index.js";

/** The number in E.164, or a bad_request error before anything is created. */
export function normalisePhone(input: string): string {
  const phone = parsePhoneNumberFromString(input);
  if (!phone || !phone.isValid()) {
    throw new RescueError("bad_request", `"${input}" is not a valid phone number; use the international form, e.g. +31612345678`);
  }
  return phone.number;
}

export function normaliseEmail(input: string): string {
  const parsed = Email.safeParse(input);
  if (!parsed.success) throw new RescueError("bad_request", `"${input}" is not a valid email address`);
  return parsed.data;
}

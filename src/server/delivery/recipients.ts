import { Email, RescueError } from "../../protocol/index.js";
import { checkPhone } from "../../protocol/phone.js";

/** The number in E.164, or a bad_request error before anything is created. */
export function normalisePhone(input: string): string {
  const phone = checkPhone(input);
  if (!phone.ok) throw new RescueError("bad_request", phone.message);
  return phone.e164;
}

export function normaliseEmail(input: string): string {
  const parsed = Email.safeParse(input);
  if (!parsed.success) throw new RescueError("bad_request", `"${input}" is not a valid email address`);
  return parsed.data;
}

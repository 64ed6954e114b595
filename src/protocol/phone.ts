import { parsePhoneNumberFromString } from "libphonenumber-js/max";

/** A phone number checked against each country's numbering plan (full metadata, not only its length). */
export type PhoneCheck = { ok: true; e164: string } | { ok: false; message: string };

const regionNames = new Intl.DisplayNames(["en"], { type: "region" });

/**
 * Checks a number in international form (+31612345678) and gives it in E.164, or says why not,
 * naming the country its calling code points to: "not a valid phone number for India".
 */
export function checkPhone(input: string): PhoneCheck {
  const phone = parsePhoneNumberFromString(input);
  if (phone?.isValid()) return { ok: true, e164: phone.number };
  const country = phone?.country ?? phone?.getPossibleCountries()[0];
  const where = country ? ` for ${regionNames.of(country) ?? country}` : phone ? ` for calling code +${phone.countryCallingCode}` : "";
  return { ok: false, message: `"${input}" is not a valid phone number${where}; use the international form, e.g. +31612345678` };
}

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
  const refused = `"${input}" is not a valid phone number`;
  if (!phone) return { ok: false, message: `${refused}; use the international form, e.g. +31612345678` };
  const country = phone.country ?? phone.getPossibleCountries()[0];
  return { ok: false, message: `${refused} for ${country ? (regionNames.of(country) ?? country) : `calling code +${phone.countryCallingCode}`}` };
}

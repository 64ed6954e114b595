import type { Language, SessionLinks } from "../../protocol/index.js";

/** The invitation texts a customer receives, in their language; they carry the mobile link and the PIN. */
const TEXTS: Record<Language, { sms: string; subject: string; intro: string; desktop: string; mobile: string; pin: string }> = {
  en: {
    sms: "Your support technician invites you to a Rescue session. Open {mobile} or enter PIN {pin} at {pinEntry}",
    subject: "Your Rescue support session",
    intro: "Your support technician invites you to a Rescue session.",
    desktop: "On a computer: {desktop}",
    mobile: "On a phone or tablet: {mobile}",
    pin: "Or enter PIN {pin} at {pinEntry}",
  },
  nl: {
    sms: "Uw supportmedewerker nodigt u uit voor een Rescue-sessie. Open {mobile} of voer pincode {pin} in op {pinEntry}",
    subject: "Uw Rescue-supportsessie",
    intro: "Uw supportmedewerker nodigt u uit voor een Rescue-sessie.",
    desktop: "Op een computer: {desktop}",
    mobile: "Op een telefoon of tablet: {mobile}",
    pin: "Of voer pincode {pin} in op {pinEntry}",
  },
  de: {
    sms: "Ihr Support-Techniker lädt Sie zu einer Rescue-Sitzung ein. Öffnen Sie {mobile} oder geben Sie die PIN {pin} auf {pinEntry} ein",
    subject: "Ihre Rescue-Support-Sitzung",
    intro: "Ihr Support-Techniker lädt Sie zu einer Rescue-Sitzung ein.",
    desktop: "Am Computer: {desktop}",
    mobile: "Am Telefon oder Tablet: {mobile}",
    pin: "Oder geben Sie die PIN {pin} auf {pinEntry} ein",
  },
};

function fill(template: string, links: SessionLinks, pin: string): string {
  const values: Record<string, string> = { ...links, pin };
  return template.replace(/\{(\w+)\}/g, (_, key: string) => values[key] ?? "");
}

export function smsText(links: SessionLinks, pin: string, language: Language = "en"): string {
  return fill(TEXTS[language].sms, links, pin);
}

export function emailText(links: SessionLinks, pin: string, language: Language = "en"): { subject: string; body: string } {
  const t = TEXTS[language];
  return {
    subject: t.subject,
    body: [t.intro, "", fill(t.desktop, links, pin), fill(t.mobile, links, pin), fill(t.pin, links, pin)].join("\n"),
  };
}

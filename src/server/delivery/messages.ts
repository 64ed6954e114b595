import type { SessionLinks } from "../../protocol/index.js";

/** The invitation texts a customer receives; they carry the mobile link and the PIN. */
export function smsText(links: SessionLinks, pin: string): string {
  return `Your support technician invites you to a Rescue session. Open ${links.mobile} or enter PIN ${pin} at ${links.pinEntry}`;
}

export function emailText(links: SessionLinks, pin: string): { subject: string; body: string } {
  return {
    subject: "Your Rescue support session",
    body: [
      "Your support technician invites you to a Rescue session.",
      "",
      `On a computer: ${links.desktop}`,
      `On a phone or tablet: ${links.mobile}`,
      `Or enter PIN ${pin} at ${links.pinEntry}`,
    ].join("\n"),
  };
}

import type { Language, SessionType } from "../protocol/index.js";

/**
 * The short agreement a customer accepts before anything is streamed: one per session type
 * (a Lens session shows the camera and microphone, a desktop session a screen the customer
 * picks), in each language of the customer pages.
 */
export const AGREEMENTS: Record<SessionType, Record<Language, string>> = {
  lens: {
    en:
      "By continuing you let the support technician see the live video from your camera and hear your microphone " +
      "for the length of this session. You can pause or end the session at any time. " +
      "If the session is recorded you are told so before it starts.",
    nl:
      "Als u doorgaat, ziet de supportmedewerker tijdens deze sessie de live beelden van uw camera en hoort hij of zij uw microfoon. " +
      "U kunt de sessie op elk moment pauzeren of beëindigen. " +
      "Als de sessie wordt opgenomen, hoort u dat voordat ze begint.",
    de:
      "Wenn Sie fortfahren, sieht der Support-Techniker für die Dauer dieser Sitzung das Live-Video Ihrer Kamera und hört Ihr Mikrofon. " +
      "Sie können die Sitzung jederzeit pausieren oder beenden. " +
      "Wird die Sitzung aufgezeichnet, erfahren Sie das, bevor sie beginnt.",
  },
  desktop: {
    en:
      "By continuing you let the support technician see the screen or window you choose to share, for the length of this session. " +
      "They can only watch: they cannot control your computer. You can stop sharing or end the session at any time. " +
      "If the session is recorded you are told so before it starts.",
    nl:
      "Als u doorgaat, ziet de supportmedewerker tijdens deze sessie het scherm of venster dat u kiest om te delen. " +
      "De supportmedewerker kijkt alleen mee en kan uw computer niet bedienen. U kunt op elk moment stoppen met delen of de sessie beëindigen. " +
      "Als de sessie wordt opgenomen, hoort u dat voordat ze begint.",
    de:
      "Wenn Sie fortfahren, sieht der Support-Techniker für die Dauer dieser Sitzung den Bildschirm oder das Fenster, das Sie zum Teilen auswählen. " +
      "Er sieht nur zu und kann Ihren Computer nicht steuern. Sie können die Freigabe oder die Sitzung jederzeit beenden. " +
      "Wird die Sitzung aufgezeichnet, erfahren Sie das, bevor sie beginnt.",
  },
};

/** The agreement for a session type in a language (English for clients that name none). */
export function eulaText(type: SessionType, lang: Language = "en"): string {
  return AGREEMENTS[type][lang];
}

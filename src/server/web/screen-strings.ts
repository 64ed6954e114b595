import type { Language } from "../../protocol/index.js";

/** The texts of the screen-sharing page, on top of the shared customer-page strings. */
export const SCREEN_STRINGS = {
  en: {
    screenHeading: "Share your screen with your technician",
    screenIntro: "Your technician will only watch; they cannot control your computer. You choose what to share and can stop at any time.",
    acceptShare: "Accept and choose what to share",
    askScreen: "Choose the screen or window to share when your browser asks.",
    screenDenied: "Nothing is shared: you did not choose a screen. Try again, or decline.",
    screenUnsupported: "This browser cannot share its screen. Open the link on a computer with a current browser.",
    screenWaiting: "Ready: your screen is shared when your technician starts the session.",
    viewing: "Your technician is viewing your screen.",
    screenOnHold: "Your technician put the session on hold: your screen is not shown.",
    stopSharing: "Stop sharing",
    screenStopped: "You stopped sharing your screen. You can still chat, or disconnect.",
  },
  nl: {
    screenHeading: "Deel uw scherm met uw supportmedewerker",
    screenIntro: "Uw supportmedewerker kijkt alleen mee en kan uw computer niet bedienen. U kiest wat u deelt en kunt altijd stoppen.",
    acceptShare: "Akkoord en kiezen wat ik deel",
    askScreen: "Kies het scherm of venster dat u wilt delen als uw browser erom vraagt.",
    screenDenied: "Er wordt niets gedeeld: u hebt geen scherm gekozen. Probeer het opnieuw of weiger.",
    screenUnsupported: "Deze browser kan zijn scherm niet delen. Open de link op een computer met een actuele browser.",
    screenWaiting: "Klaar: uw scherm wordt gedeeld zodra uw supportmedewerker de sessie start.",
    viewing: "Uw supportmedewerker kijkt mee op uw scherm.",
    screenOnHold: "Uw supportmedewerker heeft de sessie in de wacht gezet: uw scherm wordt niet getoond.",
    stopSharing: "Delen stoppen",
    screenStopped: "U bent gestopt met het delen van uw scherm. U kunt nog chatten of de verbinding verbreken.",
  },
  de: {
    screenHeading: "Teilen Sie Ihren Bildschirm mit Ihrem Techniker",
    screenIntro: "Ihr Techniker sieht nur zu und kann Ihren Computer nicht steuern. Sie wählen, was Sie teilen, und können jederzeit aufhören.",
    acceptShare: "Akzeptieren und Freigabe wählen",
    askScreen: "Wählen Sie den Bildschirm oder das Fenster, wenn Ihr Browser danach fragt.",
    screenDenied: "Nichts wird geteilt: Sie haben keinen Bildschirm gewählt. Versuchen Sie es erneut oder lehnen Sie ab.",
    screenUnsupported: "Dieser Browser kann seinen Bildschirm nicht teilen. Öffnen Sie den Link auf einem Computer mit aktuellem Browser.",
    screenWaiting: "Bereit: Ihr Bildschirm wird geteilt, sobald Ihr Techniker die Sitzung startet.",
    viewing: "Ihr Techniker sieht Ihren Bildschirm.",
    screenOnHold: "Ihr Techniker hat die Sitzung angehalten: Ihr Bildschirm wird nicht gezeigt.",
    stopSharing: "Freigabe beenden",
    screenStopped: "Sie haben die Bildschirmfreigabe beendet. Sie können weiter chatten oder die Verbindung trennen.",
  },
} as const satisfies Record<Language, Record<string, string>>;

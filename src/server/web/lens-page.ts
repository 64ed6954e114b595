import type { Language } from "../../protocol/index.js";
import { eulaText } from "../eula.js";
import { esc } from "./pages.js";
import { sessionPage } from "./session-page.js";
import { STRINGS } from "./strings.js";

/** The Lens page: the scripts drive it through join, devices, EULA, live, ended. */
export function lensPage(lang: Language, pin: string, name: string | undefined): string {
  const t = STRINGS[lang];
  return sessionPage(lang, t, pin, name, {
    kind: "lens",
    eulaIntro: `<h2>${esc(t.eulaHeading)}</h2>`,
    eula: eulaText("lens", lang),
    acceptLabel: t.accept,
    controls: `<button type="button" id="pause">${esc(t.pause)}</button>`,
    tail: `<audio id="remote-audio" autoplay></audio>`,
  });
}

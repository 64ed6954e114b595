import type { Language } from "../../protocol/index.js";
import { eulaText } from "../eula.js";
import { esc, startPage } from "./pages.js";
import { SCREEN_STRINGS } from "./screen-strings.js";
import { sessionPage } from "./session-page.js";
import { STRINGS } from "./strings.js";

/** The mobile link page, `/m/PIN`, of a desktop session: the same one button, about the screen. */
export function screenInvitePage(lang: Language, pin: string): string {
  const t = { ...STRINGS[lang], ...SCREEN_STRINGS[lang] };
  return startPage(lang, t, t.inviteHeading, t.inviteIntro, pin);
}

/**
 * The screen-sharing page of a desktop session (view mode): the scripts drive it through join,
 * EULA and the browser's screen picker, then live, stopped or ended. While the screen is shown the
 * page says so in a banner that never scrolls away, next to the button that stops sharing.
 */
export function screenPage(lang: Language, pin: string, name: string | undefined): string {
  const t = { ...STRINGS[lang], ...SCREEN_STRINGS[lang] };
  return sessionPage(lang, t, pin, name, {
    kind: "screen",
    banner: `<div id="viewing" class="viewing" role="status" hidden>
<span>● ${esc(t.viewing)}</span>
<button type="button" id="stop" class="danger">${esc(t.stopSharing)}</button>
</div>`,
    eulaIntro: `<h2>${esc(t.screenHeading)}</h2>
<p>${esc(t.screenIntro)}</p>`,
    eula: eulaText("desktop", lang),
    acceptLabel: t.acceptShare,
  });
}

import type { Language } from "../../protocol/index.js";
import { esc, layout } from "./pages.js";
import { SCREEN_STRINGS } from "./screen-strings.js";
import { STRINGS } from "./strings.js";

/** The mobile link page, `/m/PIN`, of a desktop session: the same one button, about the screen. */
export function screenInvitePage(lang: Language, pin: string): string {
  const t = { ...STRINGS[lang], ...SCREEN_STRINGS[lang] };
  return layout(
    lang,
    t,
    `<section class="card">
<div class="hero" aria-hidden="true"></div>
<h1>${esc(t.inviteHeading)}</h1>
<p>${esc(t.inviteIntro)}</p>
<a class="button primary" id="start" href="/lens?pin=${esc(pin)}&amp;lang=${lang}">${esc(t.start)}</a>
<p class="small"><a href="/pin?lang=${lang}">${esc(t.orEnterPin)}</a></p>
</section>`,
  );
}

/**
 * The screen-sharing page of a desktop session (view mode): the script drives it through join,
 * EULA and the browser's screen picker, then live, stopped or ended. While the screen is shown the
 * page says so in a banner that never scrolls away, next to the button that stops sharing.
 */
export function screenPage(lang: Language, pin: string, name: string | undefined): string {
  const t = { ...STRINGS[lang], ...SCREEN_STRINGS[lang] };
  // Data for the script; a JSON block is not executed, so the CSP allows it.
  const data = JSON.stringify({ pin, name: name ?? null, strings: t }).replace(/</g, "\\u003c");
  return layout(
    lang,
    t,
    `<script type="application/json" id="screen-data">${data}</script>
<div id="viewing" class="viewing" role="status" hidden>
<span>● ${esc(t.viewing)}</span>
<button type="button" id="stop" class="danger">${esc(t.stopSharing)}</button>
</div>
<section class="card" id="screen" aria-live="polite">
<p id="status" class="status">${esc(t.connecting)}</p>
<div class="stage" hidden id="stage">
<video id="preview" autoplay muted playsinline></video>
<span id="badge" class="badge" hidden></span>
</div>
<p id="recorded" class="recorded" hidden>● ${esc(t.recorded)}</p>
<div id="eula" hidden>
<h2>${esc(t.screenHeading)}</h2>
<p>${esc(t.screenIntro)}</p>
<p id="eula-text" class="eula"></p>
<div class="row">
<button type="button" id="accept" class="primary">${esc(t.acceptShare)}</button>
<button type="button" id="decline">${esc(t.decline)}</button>
</div>
</div>
<div id="controls" class="row" hidden>
<button type="button" id="disconnect" class="danger">${esc(t.disconnect)}</button>
</div>
<p id="again" hidden><a class="button" href="/pin?lang=${lang}">${esc(t.tryAgain)}</a></p>
</section>
<section class="card" id="chat" hidden>
<h2>${esc(t.chatHeading)}</h2>
<ol id="messages" class="messages"></ol>
<form id="chat-form" class="row">
<input id="chat-text" maxlength="2000" autocomplete="off" placeholder="${esc(t.chatPlaceholder)}" aria-label="${esc(t.chatPlaceholder)}">
<button type="submit">${esc(t.send)}</button>
</form>
</section>`,
    ["screen.js"],
  );
}

import type { Language } from "../../protocol/index.js";
import { esc, layout } from "./pages.js";
import { eulaText } from "../eula.js";
import { SCREEN_STRINGS } from "./screen-strings.js";
import { STRINGS } from "./strings.js";

/**
 * The one customer session page, `/lens?pin=`, the same for every PIN: nothing in it depends on
 * whether the PIN is live or what kind of session it opens, so the page tells a guesser nothing.
 * The customer socket's `joined` says the session type; then customer.js hands the page to
 * lens.js (camera) or screen.js (screen sharing), which show their own parts, the agreement for
 * that session type (in the page's language) included.
 */
export function sessionPage(lang: Language, pin: string, name: string | undefined): string {
  const t = { ...STRINGS[lang], ...SCREEN_STRINGS[lang] };
  // Data for the scripts; a JSON block is not executed, so the CSP allows it.
  const data = JSON.stringify({ pin, name: name ?? null, strings: t }).replace(/</g, "\\u003c");
  const body = `<script type="application/json" id="session-data">${data}</script>
<div id="viewing" class="viewing" role="status" hidden>
<span>● ${esc(t.viewing)}</span>
<button type="button" id="stop" class="danger">${esc(t.stopSharing)}</button>
</div>
<section class="card" id="session" aria-live="polite">
<p id="status" class="status">${esc(t.connecting)}</p>
<div class="stage" hidden id="stage">
<video id="preview" autoplay muted playsinline></video>
<canvas id="still" class="still" hidden></canvas>
<canvas id="overlay" class="overlay" aria-hidden="true"></canvas>
<span id="badge" class="badge" hidden></span>
</div>
<p id="recorded" class="recorded" hidden>● ${esc(t.recorded)}</p>
<div id="eula" hidden>
<div id="eula-lens" hidden><h2>${esc(t.eulaHeading)}</h2>
<p class="eula">${esc(eulaText("lens", lang))}</p></div>
<div id="eula-screen" hidden><h2>${esc(t.screenHeading)}</h2>
<p>${esc(t.screenIntro)}</p>
<p class="eula">${esc(eulaText("desktop", lang))}</p></div>
<div class="row">
<button type="button" id="accept" class="primary">${esc(t.accept)}</button>
<button type="button" id="decline">${esc(t.decline)}</button>
</div>
</div>
<p id="devices-again" class="row" hidden><button type="button" id="retry-devices" class="primary">${esc(t.retryDevices)}</button></p>
<div id="controls" class="row" hidden>
<button type="button" id="pause" hidden>${esc(t.pause)}</button>
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
</section>
<audio id="remote-audio" autoplay></audio>`;
  return layout(lang, t, body, ["customer.js", "lens-tools.js", "lens.js", "screen.js"]);
}

import type { Language } from "../../protocol/index.js";
import { esc, layout } from "./pages.js";
import type { Strings } from "./strings.js";

/** What one customer session page has of its own; the rest of the page is the same for both. */
export interface SessionPageParts {
  /** Names the page's card, its data block (`<kind>-data`) and its script (`<kind>.js`). */
  kind: "lens" | "screen";
  /** HTML above the card. */
  banner?: string;
  /** HTML that opens the EULA box: its heading and any introduction. */
  eulaIntro: string;
  /** The agreement itself, in the page's language and for the session's type. */
  eula: string;
  acceptLabel: string;
  /** HTML of the controls before the disconnect button. */
  controls?: string;
  /** HTML after the chat. */
  tail?: string;
}

/**
 * A customer session page: status line, own picture, EULA, controls and chat, driven by the
 * shared customer.js and the page's own script, which read the data block.
 */
export function sessionPage(lang: Language, t: Strings, pin: string, name: string | undefined, parts: SessionPageParts): string {
  // Data for the scripts; a JSON block is not executed, so the CSP allows it.
  const data = JSON.stringify({ pin, name: name ?? null, strings: t }).replace(/</g, "\\u003c");
  const lines = [
    `<script type="application/json" id="${parts.kind}-data">${data}</script>`,
    parts.banner,
    `<section class="card" id="${parts.kind}" aria-live="polite">
<p id="status" class="status">${esc(t.connecting)}</p>
<div class="stage" hidden id="stage">
<video id="preview" autoplay muted playsinline></video>
<span id="badge" class="badge" hidden></span>
</div>
<p id="recorded" class="recorded" hidden>● ${esc(t.recorded)}</p>
<div id="eula" hidden>
${parts.eulaIntro}
<p id="eula-text" class="eula">${esc(parts.eula)}</p>
<div class="row">
<button type="button" id="accept" class="primary">${esc(parts.acceptLabel)}</button>
<button type="button" id="decline">${esc(t.decline)}</button>
</div>
</div>
<p id="devices-again" class="row" hidden><button type="button" id="retry-devices" class="primary">${esc(t.retryDevices)}</button></p>
<div id="controls" class="row" hidden>`,
    parts.controls,
    `<button type="button" id="disconnect" class="danger">${esc(t.disconnect)}</button>
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
    parts.tail,
  ];
  return layout(lang, t, lines.filter((line) => line !== undefined).join("\n"), ["customer.js", `${parts.kind}.js`]);
}

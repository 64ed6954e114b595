import type { Language } from "../../protocol/index.js";
import { STRINGS, type Strings } from "./strings.js";

/** Escapes text for HTML content and double-quoted attributes. */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function layout(lang: Language, t: Strings, body: string, scripts: string[] = []): string {
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta name="referrer" content="no-referrer">
<title>${esc(t.title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/style.css">
${scripts.map((s) => `<script src="/assets/${s}" defer></script>`).join("\n")}
</head>
<body>
<header class="brand"><span class="logo" aria-hidden="true"></span>${esc(t.title)}</header>
<main>
${body}
</main>
</body>
</html>
`;
}

/** The PIN-entry page, `/pin` and `/?code=PIN`: a plain form that needs no script. */
export function pinPage(lang: Language, prefill: string | undefined, error?: string): string {
  const t = STRINGS[lang];
  return layout(
    lang,
    t,
    `<section class="card">
<h1>${esc(t.pinHeading)}</h1>
<form method="get" action="/lens" class="stack">
<input type="hidden" name="lang" value="${lang}">
<label for="pin">${esc(t.pinLabel)}</label>
<input id="pin" name="pin" class="pin" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required
  title="${esc(t.pinInvalid)}" value="${esc(prefill ?? "")}"${prefill ? "" : " autofocus"}>
<label for="name">${esc(t.nameLabel)}</label>
<input id="name" name="name" maxlength="100" autocomplete="name">
${error ? `<p class="error" role="alert">${esc(error)}</p>` : ""}
<button type="submit" class="primary">${esc(t.connect)}</button>
</form>
</section>`,
  );
}

/** The mobile link page, `/m/PIN`: one big button, no typing. */
export function mobilePage(lang: Language, pin: string): string {
  const t = STRINGS[lang];
  return layout(
    lang,
    t,
    `<section class="card">
<div class="hero" aria-hidden="true"></div>
<h1>${esc(t.mobileHeading)}</h1>
<p>${esc(t.mobileIntro)}</p>
<a class="button primary" id="start" href="/lens?pin=${esc(pin)}&amp;lang=${lang}">${esc(t.start)}</a>
<p class="small"><a href="/pin?lang=${lang}">${esc(t.orEnterPin)}</a></p>
</section>`,
  );
}

/** The Lens page: the script drives it through join, devices, EULA, live, ended. */
export function lensPage(lang: Language, pin: string, name: string | undefined): string {
  const t = STRINGS[lang];
  // Data for the script; a JSON block is not executed, so the CSP allows it.
  const data = JSON.stringify({ pin, name: name ?? null, strings: t }).replace(/</g, "\\u003c");
  return layout(
    lang,
    t,
    `<script type="application/json" id="lens-data">${data}</script>
<section class="card" id="lens" aria-live="polite">
<p id="status" class="status">${esc(t.connecting)}</p>
<div class="stage" hidden id="stage">
<video id="preview" autoplay muted playsinline></video>
<span id="badge" class="badge" hidden></span>
</div>
<p id="recorded" class="recorded" hidden>● ${esc(t.recorded)}</p>
<div id="eula" hidden>
<h2>${esc(t.eulaHeading)}</h2>
<p id="eula-text" class="eula"></p>
<div class="row">
<button type="button" id="accept" class="primary">${esc(t.accept)}</button>
<button type="button" id="decline">${esc(t.decline)}</button>
</div>
</div>
<div id="controls" class="row" hidden>
<button type="button" id="pause">${esc(t.pause)}</button>
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
<audio id="remote-audio" autoplay></audio>`,
    ["lens.js"],
  );
}

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Session, type Language } from "../../src/protocol/index.js";
import { AGREEMENTS } from "../../src/server/eula.js";
import { SCREEN_STRINGS } from "../../src/server/web/screen-strings.js";
import { STRINGS } from "../../src/server/web/strings.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
const pins: Record<"lens" | "desktop", string> = { lens: "", desktop: "" };

beforeAll(async () => {
  server = await startTestServer();
  const tech = await server.technician(["lens", "private", "link"]);
  for (const type of ["lens", "desktop"] as const) {
    const res = await server.api("POST", "/api/v1/sessions", { token: tech.token, body: { type, method: "link" } });
    pins[type] = Session.parse(res.body).pin!;
  }
});
afterAll(() => server.close());

async function page(type: "lens" | "desktop", lang: Language): Promise<string> {
  const res = await fetch(`${server.url}/lens?pin=${pins[type]}&lang=${lang}`);
  expect(res.status).toBe(200);
  return res.text();
}

/** `text` as words of its own on the page: "Send" is not found in "Senden". */
const words = (text: string) => new RegExp(`(?<![\\p{L}])${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![\\p{L}])`, "u");

/** The page with its data block (every string, for the scripts) taken out: what it shows as HTML. */
const shown = (html: string) => html.replace(/<script type="application\/json"[^>]*>.*?<\/script>/s, "");

describe("customer session pages speak one language", () => {
  it("holds the agreement of each session type in the page's language, and no English on a Dutch or German page", async () => {
    for (const type of ["lens", "desktop"] as const) {
      for (const lang of ["en", "nl", "de"] as const) {
        const html = await page(type, lang);
        // One page for every PIN (it tells a guesser nothing): each kind's part has its own agreement.
        expect(html, `${type} ${lang}`).toContain(`<p class="eula">${AGREEMENTS.lens[lang]}</p></div>`);
        expect(html, `${type} ${lang}`).toContain(`<p class="eula">${AGREEMENTS.desktop[lang]}</p></div>`);
        if (lang === "en") continue;
        const english = { ...STRINGS.en, ...SCREEN_STRINGS.en };
        const local = { ...STRINGS[lang], ...SCREEN_STRINGS[lang] } as Record<string, string>;
        for (const [key, text] of Object.entries(english)) {
          if (local[key] === text) continue; // the same word in both languages, such as "Chat"
          expect(shown(html), `${type} ${lang}: ${key}`).not.toMatch(words(text));
        }
        for (const kind of ["lens", "desktop"] as const) {
          for (const text of AGREEMENTS[kind].en.split(". ")) expect(html, `${type} ${lang}`).not.toContain(text);
        }
      }
    }
  });

  it("gives screen sharing its own agreement, about the screen and not the camera", async () => {
    const html = await page("desktop", "en");
    const screenPart = /<div id="eula-screen" hidden>(.*?)<\/div>/s.exec(html)?.[1] ?? "";
    expect(screenPart).toContain("see the screen or window you choose to share");
    expect(screenPart).toContain("they cannot control your computer");
    expect(screenPart).not.toMatch(/camera|microphone/i);
  });
});

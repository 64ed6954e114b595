import { afterEach, describe, expect, it } from "vitest";
import { Session } from "../../src/protocol/index.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(server!.url + path, { headers, redirect: "manual" });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

describe("customer pages", () => {
  it("serves the PIN page at / and /pin with a strict CSP, prefilling a valid ?code only", async () => {
    server = await startTestServer();
    for (const path of ["/", "/pin"]) {
      const res = await get(`${path}?code=123456`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/html/);
      const csp = res.headers.get("content-security-policy")!;
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain("unsafe-inline");
      expect(csp).toContain(`connect-src 'self' ${server.url.replace(/^http/, "ws")}`);
      expect(res.headers.get("referrer-policy")).toBe("no-referrer");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.text).toContain('value="123456"');
      expect(res.text).toContain('action="/lens"');
    }
    const hostile = await get(`/pin?code=${encodeURIComponent('"><script>alert(1)</script>')}`);
    expect(hostile.text).not.toContain("<script>alert(1)");
    expect(hostile.text).toContain('value=""');
  });

  it("links of a real session lead to working pages", async () => {
    server = await startTestServer();
    const tech = await server.technician(["lens", "private", "link"]);
    const s = Session.parse((await server.api("POST", "/api/v1/sessions", { token: tech.token, body: { method: "link" } })).body);
    const mobile = await get(new URL(s.links!.mobile).pathname);
    expect(mobile.status).toBe(200);
    expect(mobile.text).toContain(`href="/lens?pin=${s.pin}&amp;lang=en"`);
    const desktop = await get(new URL(s.links!.desktop).pathname + new URL(s.links!.desktop).search);
    expect(desktop.text).toContain(`value="${s.pin}"`);
    const lens = await get(`/lens?pin=${s.pin}&name=${encodeURIComponent("<b>Ada</b>")}`);
    expect(lens.status).toBe(200);
    // The shared customer script runs first; all are deferred, so they run in document order.
    expect(lens.text).toContain('<script src="/assets/customer.js" defer></script>\n<script src="/assets/lens-tools.js" defer></script>\n<script src="/assets/lens.js" defer></script>\n<script src="/assets/screen.js" defer></script>');
    // The data block carries the PIN and name, with no way to close the script element early.
    const data = /<script type="application\/json" id="session-data">(.*?)<\/script>/s.exec(lens.text)![1]!;
    expect(JSON.parse(data)).toMatchObject({ pin: s.pin, name: "<b>Ada</b>" });
    expect(data).not.toContain("<");
  });

  it("refuses malformed PINs and serves only known assets", async () => {
    server = await startTestServer();
    expect((await get("/m/12ab56")).status).toBe(404);
    expect((await get("/lens?pin=12345")).status).toBe(400);
    expect((await get("/lens")).status).toBe(400);
    const js = await get("/assets/lens.js");
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(js.text).toContain("getUserMedia");
    // The WebSocket, chat and signalling both session pages share.
    const shared = await get("/assets/customer.js");
    expect(shared.status).toBe(200);
    expect(shared.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(shared.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(shared.headers.get("cache-control")).toBe("public, max-age=300");
    expect(shared.text).toContain("/api/v1/customer/ws");
    expect((await get("/assets/style.css")).headers.get("content-type")).toMatch(/^text\/css/);
    expect((await get("/assets/..%2Fpages.ts")).status).toBe(404);
    expect((await get("/assets/nothing.js")).status).toBe(404);
  });

  it("speaks Dutch or German when asked by ?lang or Accept-Language", async () => {
    server = await startTestServer();
    const nl = await get("/pin", { "accept-language": "nl-NL,nl;q=0.9,en;q=0.8" });
    expect(nl.text).toContain('<html lang="nl">');
    expect(nl.text).toContain("Verbinden");
    const de = await get("/m/123456?lang=de");
    expect(de.text).toContain('<html lang="de">');
    expect(de.text).toContain("Starten");
    expect((await get("/pin", { "accept-language": "fr-FR" })).text).toContain('<html lang="en">');
  });
});

describe("the server log", () => {
  it("masks PINs in the URLs of customer pages", async () => {
    const lines: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      lines.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      server = await startTestServer({ logLevel: "info" });
      await get("/m/482913");
      await get("/?code=482913&lang=nl");
      await get("/lens?lang=de&pin=482913&name=Ada");
    } finally {
      process.stderr.write = write;
    }
    const log = lines.join("");
    expect(log).toContain("/m/******");
    expect(log).toContain("/lens?lang=de&pin=******&name=Ada");
    expect(log).not.toContain("482913");
  });
});

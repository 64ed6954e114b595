import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import type { NetNs } from "./netns.mjs";

export interface Chromium {
  context: BrowserContext;
  /** Closes the browser and removes its profile folder. */
  close(): Promise<void>;
}

/**
 * Debian's Chromium, headless, inside the test's network namespace (it gathers no loopback
 * candidates), with fake camera, microphone and screen and no picker or permission prompts.
 */
export async function launchChromium(
  ns: NetNs,
  serverUrl: string,
  opts: {
    viewport?: { width: number; height: number };
    mobile?: boolean;
    /** More command-line flags, e.g. `--use-file-for-fake-video-capture=FILE` for a camera of a known size. */
    args?: string[];
    /** Environment of the browser, e.g. HOME for a certificate store in HOME/.pki/nssdb. */
    env?: Record<string, string>;
    /** false: the server's origin must be a secure context on its own (HTTPS with a trusted certificate). */
    treatAsSecure?: boolean;
  } = {},
): Promise<Chromium> {
  const profile = mkdtempSync(join(tmpdir(), "rescue-chromium-"));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: ns.wrapper("/usr/bin/chromium"),
      headless: true,
      ...(opts.env ? { env: { ...process.env, ...opts.env } as Record<string, string> } : {}),
      ...(opts.viewport ? { viewport: opts.viewport } : {}),
      ...(opts.mobile ? { isMobile: true, hasTouch: true } : {}),
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        // Without these Chromium keeps calling out to a network this machine does not have.
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        // Fake devices; with both, getDisplayMedia also picks a fake monitor without a picker.
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        "--disable-features=WebRtcHideLocalIpsWithMdns",
        // getUserMedia needs a secure context; the test origin is plain HTTP on a private address.
        ...(opts.treatAsSecure === false ? [] : [`--unsafely-treat-insecure-origin-as-secure=${serverUrl}`]),
        ...(opts.args ?? []),
      ],
    });
    return {
      context,
      close: async () => {
        await context.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(profile, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Makes every RTCPeerConnection the page creates from now on reachable as `window.__pcs` (in
 * creation order), so a test can read Chrome's own getStats() of what it sent.
 */
export async function recordPeerConnections(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const Native = window.RTCPeerConnection;
    const all: RTCPeerConnection[] = ((window as any).__pcs = []);
    (window as any).RTCPeerConnection = function (this: unknown, config?: RTCConfiguration) {
      const pc = new Native(config);
      all.push(pc);
      return pc;
    };
    (window as any).RTCPeerConnection.prototype = Native.prototype;
  });
}

import { copyFileSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cliLogin, dropHome, makeHome, rescue } from "../helpers/cli.js";
import { lensSuite, statsWhen } from "../helpers/lens.js";

/**
 * The same technician's second daemon (a second RESCUE_HOME holding the same saved login, as on a
 * second machine) connects while the first streams a Lens session. The newer sign-in wins openly:
 * the first daemon is told (status, log, commands), does not reconnect against the second, and the
 * second gets the customer's media.
 */
type Status = { backend: { state: string; since: string; lastError?: string } };
const statusOf = async (home: string) => {
  const r = await rescue(home, ["daemon", "status", "--json"]);
  expect(r.code, r.stderr).toBe(0);
  return r.json<Status>();
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("a second daemon of the same login", { timeout: 180_000 }, () => {
  const suite = lensSuite();

  it("replaces the first openly: the first is told and stays down, the second gets the media; a new login on the first takes over again", async () => {
    const { home: first, session, tech } = await suite.start({ seconds: 150 });
    const second = makeHome();
    try {
      const started = await rescue(first, ["session", "start", session.id, "--json"]);
      expect(started.code, started.stderr).toBe(0);
      await statsWhen(first, session.id, (s) => s.video.frames > 30);

      // The same secrets in a second home: the same token.
      for (const file of ["config.json", "secrets.json"]) if (existsSync(join(first, file))) copyFileSync(join(first, file), join(second, file));
      const up = await rescue(second, ["daemon", "start", "--json"]);
      expect(up.code, up.stderr).toBe(0);

      // The first daemon is told, in its status and its log.
      await expect.poll(async () => (await statusOf(first)).backend.state, { timeout: 20_000, interval: 250 }).toBe("signed-in-elsewhere");
      const told = await statusOf(first);
      expect(told.backend.lastError).toMatch(new RegExp(`^signed in elsewhere: a newer connection of ${tech.email.replace(/\./g, "\\.")}`));
      expect(readFileSync(join(first, "logs", "rescued.log"), "utf8")).toMatch(/signed in elsewhere: .*; not reconnecting/);

      // The second gets the customer's media (it adopted the session), and records it.
      const media = await statsWhen(second, session.id, (s) => s.video.frames > 60 && s.recording !== null, 60_000);
      expect(media.video.width).toBeGreaterThan(0);

      // Commands on the first fail clearly: not logged in here (exit 4), saying why and what to do.
      const chat = await rescue(first, ["chat", session.id, "hello"]);
      expect(chat.code).toBe(4);
      expect(chat.stderr).toMatch(/signed in elsewhere: .*run rescue login here to take over/);
      const asJson = await rescue(first, ["chat", session.id, "hello", "--json"]);
      expect(asJson.code).toBe(4);

      // No flapping: for some seconds neither daemon reconnects (each state keeps its `since`).
      const before = { first: await statusOf(first), second: await statusOf(second) };
      expect(before.second.backend.state).toBe("connected");
      const framesBefore = (await statsWhen(second, session.id, () => true)).video.frames;
      await sleep(6_000);
      expect((await statusOf(first)).backend).toEqual(before.first.backend);
      expect((await statusOf(second)).backend).toEqual(before.second.backend);
      // The media stays with the second; the first has let its connection go.
      expect((await statsWhen(second, session.id, () => true)).video.frames).toBeGreaterThan(framesBefore + 60);
      const daemonLog = readFileSync(join(first, "logs", "rescued.log"), "utf8");
      expect(daemonLog.slice(daemonLog.indexOf("signed in elsewhere"))).toMatch(/recording finalised at /);
      const stats = await rescue(first, ["session", "stats", session.id, "--json"]);
      expect(stats.code, stats.stdout).toBe(4);

      // Signing in again on the first takes over: now the second is the one told.
      await cliLogin(first, suite.server.url, tech.email, tech.password);
      await expect.poll(async () => (await statusOf(second)).backend.state, { timeout: 20_000, interval: 250 }).toBe("signed-in-elsewhere");
      await expect.poll(async () => (await statusOf(first)).backend.state, { timeout: 20_000, interval: 250 }).toBe("connected");
    } finally {
      await dropHome(second);
    }
  });
});

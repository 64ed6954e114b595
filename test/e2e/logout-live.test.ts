import { statSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { rescue } from "../helpers/cli.js";
import { finishedRecording, lensSuite, statsWhen } from "../helpers/lens.js";

/**
 * Logging out of a shared machine while a customer streams: refused unless forced, and when
 * forced, nobody keeps receiving or recording that customer here.
 */
describe("rescue logout with a live session", { timeout: 120_000 }, () => {
  const suite = lensSuite();

  it("is refused (exit 5) naming the session; --force logs out, says the media stopped, and the recording is finalised and stops growing", async () => {
    const { home, session } = await suite.start({ seconds: 60 });
    const start = await rescue(home, ["session", "start", session.id, "--json"]);
    expect(start.code, start.stderr).toBe(0);
    await statsWhen(home, session.id, (s) => (s.recording?.frames ?? 0) > 30);

    const refused = await rescue(home, ["logout"]);
    expect(refused.code, refused.stderr).toBe(5);
    expect(refused.stderr).toContain(`1 live session (${session.id}) runs through this login`);
    expect(refused.stderr).toContain("--force");
    // Still logged in: the session still answers.
    expect((await rescue(home, ["session", "stats", session.id, "--json"])).code).toBe(0);

    const forced = await rescue(home, ["logout", "--force", "--json"]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.json()).toMatchObject({ loggedOut: true });
    expect(forced.stderr).toContain(`the media and recording of 1 live session (${session.id}) stopped here`);

    // The segment is finalised (its manifest written) and nothing more is added to it.
    const rec = await finishedRecording(home, session.id);
    const size = statSync(rec.path).size;
    await new Promise((r) => setTimeout(r, 3000));
    expect(statSync(rec.path).size).toBe(size);
  });
});

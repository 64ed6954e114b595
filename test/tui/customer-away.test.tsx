import { Box } from "ink";
import { cleanup, render } from "ink-testing-library";
import { afterEach, describe, expect, it } from "vitest";
import { printSession } from "../../src/cli/commands/session/format.js";
import type { Printer } from "../../src/cli/output.js";
import { Session } from "../../src/protocol/index.js";
import { MediaStats } from "../../src/tui/components/MediaStats.js";
import { clockTime } from "../../src/tui/format.js";

afterEach(() => cleanup());

const since = new Date(Date.now() - 5000).toISOString();
const until = new Date(Date.now() + 115_000).toISOString();

describe("a customer whose connection dropped", () => {
  it("the console says they are away and when the session ends, instead of a bare media loss", () => {
    const { lastFrame } = render(<MediaStats media={undefined} away={{ until }} />);
    expect(lastFrame()).toContain(`Customer AWAY until ${clockTime(until)}: reconnecting; the session ends then unless they are back`);
    expect(lastFrame()).not.toContain("Media LOST");
  });

  it("a narrow detail pane (a 140-column console) still shows the deadline: the line is cut after it", () => {
    const { lastFrame } = render(
      <Box width={40}>
        <MediaStats media={undefined} away={{ until }} />
      </Box>,
    );
    const line = lastFrame()!.split("\n")[0]!;
    expect(line.length).toBeLessThanOrEqual(40);
    expect(line).toContain(`AWAY until ${clockTime(until)}`);
  });

  it("session output says so too: readable on a terminal, ISO times when piped", () => {
    const session = Session.parse({
      id: "s1",
      name: "Ann",
      type: "lens",
      mode: "view",
      status: "active",
      method: "pin",
      pin: null,
      expiresAt: null,
      links: null,
      technician: "t@example.test",
      createdAt: since,
      statusSince: since,
      recordable: true,
      customer: { camera: true, microphone: true, eulaAcceptedAt: since, paused: false, away: { since, until } },
    });
    const lines = (tty: boolean) => {
      const out: string[] = [];
      printSession({ json: false, tty, line: (l: string) => out.push(l), value: () => undefined } as unknown as Printer, session, Date.now());
      return out.join("\n");
    };
    expect(lines(true)).toMatch(/customer\s+away since 5 s ago: reconnecting; the session is aborted in 1 min unless they are back/);
    expect(lines(false)).toContain(`customer\taway since ${since}: reconnecting; the session is aborted at ${until} unless they are back`);
  });
});

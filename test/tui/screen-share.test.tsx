import { cleanup, render } from "ink-testing-library";
import { afterEach, describe, expect, it } from "vitest";
import { DaemonEvent } from "../../src/protocol/index.js";
import { MediaStats } from "../../src/tui/components/MediaStats.js";
import { mediaReducer } from "../../src/tui/state/media.js";

afterEach(() => cleanup());

describe("the console and a customer who stops sharing their screen", () => {
  it("keeps it as a status of that session and shows it beside the media figures, not as an error", () => {
    const event = DaemonEvent.parse({ id: 7, at: new Date().toISOString(), type: "media", sessionId: "d1", event: "screen-share-stopped" });
    const other = DaemonEvent.parse({ id: 8, at: new Date().toISOString(), type: "media", sessionId: "d1", event: "first-frame" });
    let state = mediaReducer({}, { type: "event", event: other, now: 0 });
    expect(state).toEqual({});
    state = mediaReducer(state, { type: "event", event, now: 0 });
    expect(state.d1).toMatchObject({ screenStopped: true, error: null });

    const { lastFrame } = render(<MediaStats media={state.d1} />);
    expect(lastFrame()).toContain("Screen: the customer stopped sharing (chat still works)");
    expect(lastFrame()).not.toContain("stats:");
  });
});

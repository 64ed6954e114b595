import { describe, expect, it } from "vitest";
import { visible } from "../../src/cli/output.js";
import { entryDetails } from "../../src/tui/components/LogView.js";

describe("what the CLI prints", () => {
  it("shows control characters from names, chat and logs in caret notation instead of sending them to the terminal", () => {
    expect(visible("\u001b[2J\u001b[31mFAKE\u001b]0;pwned\u0007 end")).toBe("^[[2J^[[31mFAKE^[]0;pwned^G end");
    expect(visible("a\tb")).toBe("a\tb");
    expect(visible("\u009b31m")).toBe("\\x9b31m");
    expect(visible("Zoë 👍")).toBe("Zoë 👍");
  });

  it("the console's log view shows an entry stored with raw escapes (before the server turned them into carets) in caret notation", () => {
    const entry = { at: "2026-11-30T15:00:00.000Z", event: "media-lost", reason: "\u001b]0;pwned\u0007", by: "a@example.com" };
    expect(entryDetails(entry as never)).toBe("reason=^[]0;pwned^G by=a@example.com");
  });
});

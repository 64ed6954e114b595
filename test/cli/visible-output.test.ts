import { describe, expect, it } from "vitest";
import { visible } from "../../src/cli/output.js";

describe("what the CLI prints", () => {
  it("shows control characters from names, chat and logs in caret notation instead of sending them to the terminal", () => {
    expect(visible("\u001b[2J\u001b[31mFAKE\u001b]0;pwned\u0007 end")).toBe("^[[2J^[[31mFAKE^[]0;pwned^G end");
    expect(visible("a\tb")).toBe("a\tb");
    expect(visible("\u009b31m")).toBe("\\x9b31m");
    expect(visible("Zoë 👍")).toBe("Zoë 👍");
  });
});

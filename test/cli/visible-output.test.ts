import { describe, expect, it } from "vitest";
import { Printer, visible } from "../../src/cli/output.js";
import type { IO } from "../../src/cli/io.js";
import { entryDetails } from "../../src/tui/components/LogView.js";

describe("what the CLI prints", () => {
  it("shows control characters from names, chat and logs in caret notation instead of sending them to the terminal", () => {
    expect(visible("\u001b[2J\u001b[31mFAKE\u001b]0;pwned\u0007 end")).toBe("^[[2J^[[31mFAKE^[]0;pwned^G end");
    expect(visible("a\tb")).toBe("a\tb");
    expect(visible("\u009b31m")).toBe("\\x9b31m");
    expect(visible("Zoë 👍")).toBe("Zoë 👍");
  });

  it("a value with a newline or tab stays inside its own line: a forged entry cannot print a line of its own", async () => {
    const forged = "line1\n2026-11-30T18:11:00.000Z\tended\tby=lead@example.com reason=FAKE";
    for (const tty of [false, true]) {
      let out = "";
      const io = { stdout: { write: (s: string) => (out += s) }, stderr: { write: () => true }, stdoutIsTTY: tty, now: () => Date.parse("2026-11-30T18:12:00Z") } as unknown as IO;
      new Printer(io, false).table([{ event: "media-lost", reason: forged }], [
        { header: "event", value: (r) => r.event },
        { header: "details", value: (r) => `reason=${r.reason}` },
      ]);
      const lines = out.trimEnd().split("\n");
      expect(lines, out).toHaveLength(tty ? 2 : 1); // a header on a terminal
      expect(lines.at(-1)).toContain("reason=line1^J2026-11-30T18:11:00.000Z^Iended^Iby=lead@example.com reason=FAKE");
    }
  });

  it("a --jq raw string result is shown, not obeyed, on a terminal, and passed on as it is to a pipe", async () => {
    for (const tty of [true, false]) {
      let out = "";
      const io = { stdout: { write: (s: string) => (out += s) }, stderr: { write: () => true }, stdoutIsTTY: tty, now: () => 0 } as unknown as IO;
      const printer = new Printer(io, true, ".reason");
      printer.value({ reason: "\u001b]0;pwned\u0007" });
      await printer.done();
      expect(out).toBe(tty ? "^[]0;pwned^G\n" : "\u001b]0;pwned\u0007\n");
    }
  });

  it("the console's log view shows an entry stored with raw escapes (before the server turned them into carets) in caret notation", () => {
    const entry = { at: "2026-11-30T15:00:00.000Z", event: "media-lost", reason: "\u001b]0;pwned\u0007", by: "a@example.com" };
    expect(entryDetails(entry as never)).toBe("reason=^[]0;pwned^G by=a@example.com");
    expect(entryDetails({ ...entry, reason: "a\nb\tc" } as never)).toBe("reason=a^Jb^Ic by=a@example.com");
  });
});

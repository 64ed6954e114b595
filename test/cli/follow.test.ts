import { describe, expect, it } from "vitest";
import { dropHome, loggedInHome, rescue, spawnRescue, type CliResult } from "../helpers/cli.js";
import { lensSuite, statsWhen } from "../helpers/lens.js";
import { customerReady } from "../helpers/server.js";
import { eventually } from "../helpers/processes.js";

const suite = lensSuite();

/** A chat-capable technician with a waiting session whose customer is a real customer WebSocket. */
async function chatSession() {
  const { home } = await loggedInHome(suite.server, ["lens", "private", "pin", "chat"]);
  const created = await rescue(home, ["session", "new", "--lens", "--pin", "--name", "Ann", "--json"]);
  expect(created.code, created.stderr).toBe(0);
  const s = created.json<{ id: string; pin: string }>();
  const customer = await customerReady(suite.server, s.pin);
  return { home, id: s.id, customer };
}

describe("rescue chat --follow", () => {
  it("prints the conversation so far, then each message as it comes, and ends with the session (exit 0)", async () => {
    const { home, id, customer } = await chatSession();
    try {
      customer.send({ type: "chat", text: "before you looked" });
      await customer.next("chat");
      let soFar = "";
      const following = rescue(home, ["chat", id, "--follow", "--json"], { onStdout: (s) => (soFar = s) });
      expect(await eventually(() => soFar.includes("before you looked"), 20_000)).toBe(true);
      customer.send({ type: "chat", text: "the router blinks red" });
      expect(await eventually(() => soFar.includes("the router blinks red"), 20_000)).toBe(true);
      const sent = await rescue(home, ["chat", id, "unplug it for 10 s"]);
      expect(sent.code, sent.stderr).toBe(0);
      expect(await eventually(() => soFar.includes("unplug it for 10 s"), 20_000)).toBe(true);
      expect((await rescue(home, ["session", "end", id])).code).toBe(0);
      const r = await following;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`session ${id} is closed`);
      const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
      expect(lines.map((m) => [m.from, m.text])).toEqual([
        ["customer", "before you looked"],
        ["customer", "the router blinks red"],
        ["technician", "unplug it for 10 s"],
      ]);
      for (const m of lines) expect(m.sessionId).toBe(id);
    } finally {
      await customer.close();
      await dropHome(home);
    }
  }, 90_000);

  it("ends on Ctrl-C with exit 0, and says the session is over at once for an ended one", async () => {
    const { home, id, customer } = await chatSession();
    try {
      const ctrlC = new AbortController();
      let soFar = "";
      const following = rescue(home, ["chat", id, "--follow"], { signal: ctrlC.signal, onStdout: (s) => (soFar = s) });
      customer.send({ type: "chat", text: "hello?" });
      expect(await eventually(() => soFar.includes("hello?"), 20_000)).toBe(true);
      ctrlC.abort();
      const r = await following;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/\tcustomer\tTest Customer\thello\?\n$/);
      expect((await rescue(home, ["session", "end", id])).code).toBe(0);
      const after = await rescue(home, ["chat", id, "--follow"]);
      expect(after.code).toBe(0);
      expect(after.stdout).toContain("hello?");
      expect(after.stderr).toContain("is closed");
      const texts = await rescue(home, ["chat", id, "--follow", "--jq", ".text"]);
      expect(texts.code, texts.stderr).toBe(0);
      expect(texts.stdout).toBe("hello?\n");
      const usage = await rescue(home, ["chat", id]);
      expect(usage.code).toBe(2);
    } finally {
      await customer.close();
      await dropHome(home);
    }
  }, 90_000);
});

/** The process's result if it exits within `ms`, else null (it is then killed). */
async function exitWithin(p: ReturnType<typeof spawnRescue>, ms: number): Promise<CliResult | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)));
  const r = await Promise.race([p.done, late]);
  clearTimeout(timer);
  if (r === null) {
    p.child.kill("SIGINT");
    await p.done;
  }
  return r;
}

describe("--jq on a stream that fails", () => {
  it("chat --follow: the filter's first run-time error ends the command at once (stderr, exit 1), the session going on", async () => {
    const { home, id, customer } = await chatSession();
    try {
      const following = spawnRescue(home, ["chat", id, "--follow", "--jq", '.text | if startswith("boom") then error("cannot read " + .) else . end']);
      let out = "";
      following.child.stdout!.on("data", (d) => (out += d));
      customer.send({ type: "chat", text: "fine so far" });
      await customer.next("chat");
      expect(await eventually(() => out.includes("fine so far"), 30_000)).toBe(true);
      customer.send({ type: "chat", text: "boom 1" });
      customer.send({ type: "chat", text: "after the boom" });
      // The session is still live: without the fix the command waits for it to end.
      const r = await exitWithin(following, 30_000);
      expect(r, "the command did not end after its filter failed").not.toBeNull();
      expect(r!.code, r!.stderr).toBe(1);
      expect(r!.stderr).toBe("rescue: --jq: jq: error: cannot read boom 1\n");
      expect(r!.stdout).toBe("fine so far\n");
      const listed = await rescue(home, ["session", "list", "--json", "--jq", `.[] | select(.id == "${id}") | .status`]);
      expect(listed.stdout.trim()).toBe("waiting");
    } finally {
      await customer.close();
      await dropHome(home);
    }
  }, 120_000);

  it("session list --watch: an expression jq cannot compile is a usage error at once (exit 2), not when the watch ends", async () => {
    const { home } = await loggedInHome(suite.server, ["lens", "private", "pin"]);
    try {
      const watching = spawnRescue(home, ["session", "list", "--watch", "--jq", ".[] | .id | foo("]);
      const r = await exitWithin(watching, 30_000);
      expect(r, "the watch did not end after its filter failed").not.toBeNull();
      expect(r!.code, r!.stderr).toBe(2);
      expect(r!.stderr).toMatch(/^rescue: --jq: jq: error: syntax error/);
      expect(r!.stderr.trim().split("\n")).toHaveLength(2); // the message and the help hint
    } finally {
      await dropHome(home);
    }
  }, 90_000);
});

describe("rescue session stats --watch", () => {
  it("prints one JSON line a second while media flows, and ends with the session", async () => {
    const { home, session } = await suite.start({ seconds: 60 });
    const started = await rescue(home, ["session", "start", session.id, "--no-record", "--json"]);
    expect(started.code, started.stderr).toBe(0);
    await statsWhen(home, session.id, (s) => s.video.frames > 0);
    let soFar = "";
    const watching = rescue(home, ["session", "stats", session.id, "--watch", "--json"], { onStdout: (s) => (soFar = s) });
    expect(await eventually(() => soFar.split("\n").filter(Boolean).length >= 3, 30_000)).toBe(true);
    expect((await rescue(home, ["session", "end", session.id])).code).toBe(0);
    const r = await watching;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`session ${session.id} is closed`);
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThanOrEqual(3);
    // Each line is a whole figure set of its own second: frames grow, times step forward.
    const times = lines.map((l) => Date.parse(l.at));
    for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThan(times[i - 1]!);
    expect(lines.at(-1).video.frames).toBeGreaterThan(lines[0].video.frames);
    expect(lines[0].video.codec).toMatch(/vp8|h264/i);
  }, 120_000);

  it("stops on Ctrl-C with exit 0; on a terminal it redraws in place", async () => {
    const { home, session } = await suite.start({ seconds: 60 });
    expect((await rescue(home, ["session", "start", session.id, "--no-record"])).code).toBe(0);
    const ctrlC = new AbortController();
    let soFar = "";
    const watching = rescue(home, ["session", "stats", session.id, "--watch"], { tty: true, signal: ctrlC.signal, onStdout: (s) => (soFar = s) });
    expect(await eventually(() => soFar.split("\x1b[H\x1b[2J").length >= 3, 30_000)).toBe(true);
    ctrlC.abort();
    const r = await watching;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`${session.id}  `);
    expect(r.stdout).toMatch(/video {6}/);
  }, 120_000);
});

import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { daemonPid, dropHome, makeHome, rescue } from "../helpers/cli.js";
import { eventually, procState, rescuedOf, runs } from "../helpers/processes.js";

const ROOT = join(import.meta.dirname, "..", "..");

/**
 * The daemon's life as processes and signals see it: one per RESCUE_HOME whatever state the last
 * one was left in (killed, a zombie, its pid reused, frozen), and `daemon stop` means gone.
 */
describe("rescued processes, pid file and daemon stop", () => {
  const homes: string[] = [];
  const children: ChildProcess[] = [];
  const home = () => {
    const h = makeHome();
    homes.push(h);
    return h;
  };
  /** A new home with its daemon started by `daemon start --json`: the home and the daemon's pid. */
  const homeWithDaemon = async () => {
    const h = home();
    const first = await rescue(h, ["daemon", "start", "--json"]);
    expect(first.code, first.stderr).toBe(0);
    return { h, pid: first.json().pid as number };
  };
  afterAll(async () => {
    for (const c of children) if (c.pid && c.exitCode === null) process.kill(-c.pid, "SIGKILL");
    for (const h of homes) {
      for (const pid of rescuedOf(h)) process.kill(pid, "SIGKILL");
      await dropHome(h);
    }
  });

  it("starts after a kill -9 whose daemon is left a zombie (its parent never reaps it)", async () => {
    const h = home();
    // As in a container without an init: the daemon's parent (sleep) never waits for it.
    const parent = spawn("sh", ["-c", `"${process.execPath}" "${join(ROOT, "bin", "rescued.js")}" & exec sleep 120`], {
      env: { ...process.env, RESCUE_HOME: h },
      detached: true,
      stdio: "ignore",
    });
    children.push(parent);
    expect(await eventually(() => daemonPid(h) !== null && rescuedOf(h).length === 1, 10_000)).toBe(true);
    let status = await rescue(h, ["daemon", "status", "--json"]);
    for (const deadline = Date.now() + 10_000; status.code !== 0 && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 100));
      status = await rescue(h, ["daemon", "status", "--json"]);
    }
    expect(status.code, status.stderr).toBe(0);
    const dead = status.json().pid as number;

    process.kill(dead, "SIGKILL");
    expect(await eventually(() => procState(dead) === "Z", 5000)).toBe(true);
    const t0 = Date.now();
    const started = await rescue(h, ["daemon", "start", "--json"]);
    expect(started.code, started.stderr).toBe(0);
    expect(started.json().pid).not.toBe(dead);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(rescuedOf(h)).toEqual([started.json().pid]);
  }, 30_000);

  it("starts when the pid file names a process that reused the dead daemon's pid", async () => {
    const h = home();
    const other = spawn("sleep", ["120"], { stdio: "ignore", detached: true });
    children.push(other);
    mkdirSync(join(h, "run"), { recursive: true, mode: 0o700 });
    // The dead daemon's record: its pid (now `sleep`'s) and a start time that is not sleep's.
    writeFileSync(join(h, "run", "rescued.pid"), `${other.pid} 1\n`, { mode: 0o600 });
    const started = await rescue(h, ["daemon", "start", "--json"]);
    expect(started.code, started.stderr).toBe(0);
    expect(started.json().pid).not.toBe(other.pid);
    expect(runs(other.pid!)).toBe(true);
  }, 30_000);

  it("a hung daemon (SIGSTOP) makes commands fail with exit 3 naming it after about 15 s, not wait forever; resumed, it answers again", async () => {
    const { h, pid } = await homeWithDaemon();
    process.kill(pid, "SIGSTOP");
    try {
      const t0 = Date.now();
      const [list, recordings] = await Promise.all([rescue(h, ["session", "list", "--json"]), rescue(h, ["recordings", "list", "--json"])]);
      const tookMs = Date.now() - t0;
      for (const r of [list, recordings]) {
        expect(r.code, r.stderr).toBe(3);
        expect(r.stdout).toBe("");
        expect(r.stderr).toContain(`rescued does not answer (pid ${pid}): try rescue daemon stop`);
      }
      // About 15 s (the head's patience and a status probe); generous for a loaded machine.
      expect(tookMs).toBeGreaterThanOrEqual(14_000);
      expect(tookMs).toBeLessThan(60_000);
      expect(rescuedOf(h)).toEqual([pid]);
    } finally {
      process.kill(pid, "SIGCONT");
    }
    const again = await rescue(h, ["recordings", "list", "--json"]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json()).toEqual([]);
  }, 120_000);

  it("keeps one daemon per profile while it hangs (SIGSTOP); stop kills it and says so; a normal stop waits for the process", async () => {
    const { h, pid } = await homeWithDaemon();

    process.kill(pid, "SIGSTOP");
    try {
      // Its socket takes connections but nothing answers: no second daemon for the profile.
      const again = await rescue(h, ["daemon", "start", "--json"]);
      expect(again.code).toBe(3);
      expect(again.stderr).toMatch(new RegExp(`pid ${pid}.*does not answer.*rescue daemon stop`));
      expect(rescuedOf(h)).toEqual([pid]);

      const t0 = Date.now();
      const stop = await rescue(h, ["daemon", "stop", "--json"]);
      const tookMs = Date.now() - t0;
      expect(stop.code, stop.stderr).toBe(0);
      expect(stop.json()).toEqual({ stopped: true, pid, killed: true });
      expect(stop.stderr).toMatch(/did not stop within 5 s: killed it \(SIGKILL\)/);
      expect(runs(pid)).toBe(false);
      expect(tookMs).toBeLessThan(15_000);
      console.log(`daemon stop of a frozen daemon: ${tookMs} ms`);
    } finally {
      if (runs(pid)) process.kill(pid, "SIGKILL");
    }

    // The profile is free again; a daemon that answers stops by itself, and is gone when stop returns.
    const next = await rescue(h, ["daemon", "start", "--json"]);
    expect(next.code, next.stderr).toBe(0);
    const pid2 = next.json().pid as number;
    const t1 = Date.now();
    const stop = await rescue(h, ["daemon", "stop", "--json"]);
    const tookMs = Date.now() - t1;
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.json()).toEqual({ stopped: true, pid: pid2 });
    expect(runs(pid2)).toBe(false);
    expect(rescuedOf(h)).toEqual([]);
    console.log(`daemon stop: ${tookMs} ms`);
  }, 60_000);
});

import { readFileSync, statSync } from "node:fs";
import { PassThrough } from "node:stream";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DaemonStatus, Recording, Session, SessionLogEntry, SessionStats, StartResponse } from "../../src/protocol/index.js";
import { account, loadToken } from "../../src/profile/credentials.js";
import { main } from "../../src/cli/main.js";
import { cliLogin, dropHome, makeHome, rescue } from "../helpers/cli.js";
import { localRequest, tapEvents } from "../helpers/localapi.js";
import { customerReady, startTestServer, type Account, type TestServer, type WsProbe } from "../helpers/server.js";

const LENS_ALL = ["lens", "private", "pin", "sms", "link", "email", "record", "chat"] as const;

describe("rescue session commands against a real server and daemon", () => {
  let server: TestServer;
  let tech: Account;
  let home: string;
  const customers: WsProbe[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    tech = await server.technician([...LENS_ALL]);
    home = makeHome();
    await cliLogin(home, server.url, tech.email, tech.password);
  });
  afterAll(async () => {
    for (const c of customers) await c.close();
    await dropHome(home);
    await server.close();
  });

  it("login saves the token in the keychain or a 0600 file and whoami says which", async () => {
    const who = await rescue(home, ["whoami", "--json"]);
    expect(who.code, who.stderr).toBe(0);
    const info = who.json();
    expect(info).toMatchObject({ server: server.url, email: tech.email });
    expect(["keychain", "file"]).toContain(info.storage);
    if (info.storage === "file") expect(statSync(join(home, "secrets.json")).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, "config.json")).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(home, "config.json"), "utf8")).not.toContain(tech.password);
  });

  it("on a terminal, login asks for the password without echoing it", async () => {
    const h = makeHome();
    try {
      const input = new PassThrough() as PassThrough & { isTTY: boolean; setRawMode(raw: boolean): void };
      const rawModes: boolean[] = [];
      input.isTTY = true;
      input.setRawMode = (raw) => void rawModes.push(raw);
      let stdout = "";
      let stderr = "";
      const done = main(["node", "rescue", "login", "--server", server.url, "--email", tech.email, "--json"], {
        stdin: input,
        stdout: { write: (c: string) => (stdout += c) },
        stderr: { write: (c: string) => (stderr += c) },
        stdinIsTTY: true,
        stdoutIsTTY: false,
        env: { ...process.env, RESCUE_HOME: h },
        now: () => Date.now(),
        signal: new AbortController().signal,
      });
      await new Promise((r) => setTimeout(r, 200));
      input.write(`${tech.password}\r`);
      expect(await done).toBe(0);
      expect(rawModes).toEqual([true, false]);
      expect(stderr).toContain(`Password for ${tech.email} on ${server.url}: `);
      expect(stderr + stdout).not.toContain(tech.password);
      expect(JSON.parse(stdout)).toMatchObject({ email: tech.email });
    } finally {
      await dropHome(h);
    }
  });

  it("a wrong password exits 4 and keeps the previous login", async () => {
    const r = await rescue(home, ["login", "--server", server.url, "--email", tech.email, "--password-stdin"], { stdin: "wrong" });
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/wrong email or password/);
    expect((await rescue(home, ["whoami"])).code).toBe(0);
  });

  it("creates a Lens session by PIN with the contract's fields, lists it, and issues another PIN", async () => {
    const created = await rescue(home, ["session", "new", "--lens", "--pin", "--name", "Ann", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    const s = Session.parse(created.json());
    expect(s).toMatchObject({ type: "lens", status: "connecting", name: "Ann" });
    expect(s.pin).toMatch(/^\d{6}$/);
    expect(s.links).toMatchObject({ desktop: expect.any(String), mobile: expect.any(String), pinEntry: expect.any(String) });
    expect(s.expiresAt).toEqual(expect.any(String));

    const list = await rescue(home, ["session", "list", "--json"]);
    expect(list.code, list.stderr).toBe(0);
    const row = list.json<any[]>().find((x) => x.id === s.id);
    for (const k of ["id", "name", "type", "status", "pin", "technician", "statusSince"]) expect(row).toHaveProperty(k);
    expect(row.technician).toBe(tech.email);

    const connecting = await rescue(home, ["session", "list", "--status", "connecting", "--json"]);
    expect(connecting.json<any[]>().map((x) => x.id)).toContain(s.id);
    expect((await rescue(home, ["session", "list", "--status", "active", "--json"])).json<any[]>().map((x) => x.id)).not.toContain(s.id);
    expect((await rescue(home, ["session", "list", "--status", "sleeping"])).code).toBe(2);

    const again = await rescue(home, ["session", "pin", s.id, "--regenerate", "--json"]);
    expect(again.code, again.stderr).toBe(0);
    const renewed = Session.parse(again.json());
    expect(renewed.id).toBe(s.id);
    expect(renewed.pin).toMatch(/^\d{6}$/);
    expect(renewed.pin).not.toBe(s.pin);

    const table = await rescue(home, ["session", "list"], { tty: true });
    const lines = table.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ID\s+NAME\s+TYPE\s+MODE\s+STATUS\s+PIN\s+SINCE\s+CUSTOMER$/);
    expect(lines.find((l) => l.startsWith(s.id))).toMatch(/Ann\s+lens\s+view\s+connecting\s+\d{6}\s+(just now|\d+ s ago)\s+-$/);

    const plain = await rescue(home, ["session", "list"]);
    expect(plain.stdout.split("\n").find((l) => l.startsWith(s.id))?.split("\t")).toEqual([s.id, "Ann", "lens", "view", "connecting", renewed.pin, expect.any(String), "-"]);

    const log = await rescue(home, ["session", "log", s.id, "--json"]);
    const entries = log.json<unknown[]>().map((e) => SessionLogEntry.parse(e));
    expect(entries.map((e) => e.event)).toEqual(expect.arrayContaining(["created", "pin-issued"]));
    await rescue(home, ["session", "end", s.id]);
  });

  it("sends the link by SMS and email and says that without a carrier they wait in the outbox", async () => {
    const sms = await rescue(home, ["session", "new", "--lens", "--sms", "+31612345678", "--name", "Bea", "--json"]);
    expect(sms.code, sms.stderr).toBe(0);
    expect(sms.json()).toMatchObject({ status: "connecting", method: "sms", delivery: { channel: "sms", status: "queued" } });
    expect(sms.stderr).toMatch(/^no SMS carrier configured: the message is in the outbox/m);
    const mail = await rescue(home, ["session", "new", "--lens", "--email", "bea@example.test", "--json"]);
    expect(mail.code, mail.stderr).toBe(0);
    expect(mail.json()).toMatchObject({ method: "email", delivery: { channel: "email", to: "bea@example.test", status: "queued" } });
    expect(mail.stderr).toMatch(/^no email carrier configured: the message is in the outbox/m);
    const plain = await rescue(home, ["session", "new", "--lens", "--sms", "+31612345678"]);
    expect(plain.stdout).toMatch(/^pin\t\d{6}$/m);
    expect(plain.stdout).toMatch(/^sms\t\+31612345678: queued \(in the server's outbox: no carrier configured\)$/m);
    expect(plain.stderr).toMatch(/no SMS carrier configured: the message is in the outbox/);
    for (const s of [sms.json(), mail.json()]) await rescue(home, ["session", "end", s.id]);
    await rescue(home, ["session", "end", plain.stdout.match(/^id\t(.+)$/m)![1]!]);
  });

  it("a session becomes Waiting through the event stream: wait started before the customer joins", async () => {
    const s = Session.parse((await rescue(home, ["session", "new", "--lens", "--pin", "--json"])).json());
    const tap = tapEvents(home, null);
    await tap.opened;
    const waiting = rescue(home, ["session", "wait", s.id, "--status", "waiting", "--timeout", "15", "--json"]);
    // The wait command subscribes before it looks; let it get there before the customer arrives.
    await tap.until((evs) => evs.length > 0, 300).catch(() => undefined);
    customers.push(await customerReady(server, s.pin!));
    const w = await waiting;
    expect(w.code, w.stderr).toBe(0);
    expect(w.json()).toMatchObject({ id: s.id, status: "waiting" });
    const events = await tap.until((evs) => evs.some((e) => e.type === "session" && e.session.id === s.id && e.session.status === "waiting"), 10_000);
    tap.close();
    const ids = events.map((e) => e.id);
    expect(ids).toEqual(ids.map((_, i) => ids[0] + i));
    // since=N replays exactly what followed N, then goes on live.
    const replay = tapEvents(home, ids[0] - 1);
    await replay.until((evs) => evs.length >= ids.length);
    replay.close();
    expect(replay.lines.slice(0, ids.length)).toEqual(tap.lines.slice(0, ids.length));

    // Once there, wait answers at once.
    expect((await rescue(home, ["session", "wait", s.id, "--status", "waiting", "--timeout", "1"])).code).toBe(0);

    const started = await rescue(home, ["session", "start", s.id, "--no-record", "--json"]);
    expect(started.code, started.stderr).toBe(0);
    expect(StartResponse.parse(started.json())).toMatchObject({ id: s.id, status: "active" });

    const stats = await rescue(home, ["session", "stats", s.id, "--json"]);
    expect(stats.code, stats.stderr).toBe(0);
    SessionStats.parse(stats.json());

    const chat = await rescue(home, ["chat", s.id, "hello there", "--json"]);
    expect(chat.code, chat.stderr).toBe(0);
    expect(chat.json()).toMatchObject({ sessionId: s.id, from: "technician", text: "hello there" });
    expect(await customers.at(-1)!.next("chat")).toMatchObject({ message: { text: "hello there" } });

    expect((await rescue(home, ["session", "hold", s.id, "--json"])).json().status).toBe("on-hold");
    expect((await rescue(home, ["session", "resume", s.id, "--json"])).json().status).toBe("active");
    expect((await rescue(home, ["session", "end", s.id, "--json"])).json().status).toBe("closed");

    const log = (await rescue(home, ["session", "log", s.id, "--json"])).json<any[]>().map((e) => e.event);
    expect(log).toEqual(expect.arrayContaining(["customer-connected", "eula-accepted", "started", "chat", "held", "resumed", "closed"]));

    const recordings = await rescue(home, ["recordings", "list", "--json"]);
    expect(recordings.code, recordings.stderr).toBe(0);
    for (const r of recordings.json<unknown[]>()) Recording.parse(r);
  });

  it("wait times out with exit 8, an unknown id exits 6, a missing permission 5", async () => {
    const s = Session.parse((await rescue(home, ["session", "new", "--lens", "--link", "--json"])).json());
    const t0 = Date.now();
    const timedOut = await rescue(home, ["session", "wait", s.id, "--status", "active", "--timeout", "0.5", "--json"]);
    expect(timedOut.code, timedOut.stderr).toBe(8);
    expect(timedOut.stdout).toBe("");
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(timedOut.stderr).toMatch(/not active after 0.5 s/);

    const abort = new AbortController();
    const interrupted = rescue(home, ["session", "wait", s.id, "--status", "active"], { signal: abort.signal });
    setTimeout(() => abort.abort(), 300);
    expect((await interrupted).code).toBe(130);

    for (const args of [["session", "log", "s_nope"], ["session", "wait", "s_nope", "--status", "active"], ["session", "start", "s_nope"], ["session", "stats", "s_nope"]]) {
      const r = await rescue(home, args);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(6);
    }

    const limitedHome = makeHome();
    try {
      const limited = await server.technician(["lens", "private", "pin"]);
      await cliLogin(limitedHome, server.url, limited.email, limited.password);
      const sms = await rescue(limitedHome, ["session", "new", "--lens", "--sms", "+31612345678", "--json"]);
      expect(sms.code, sms.stderr).toBe(5);
      expect(sms.stdout).toBe("");
      const admin = await rescue(limitedHome, ["admin", "group", "list"]);
      expect(admin.code, admin.stderr).toBe(5);
      // Someone else's session is not found for this technician.
      expect((await rescue(limitedHome, ["session", "log", s.id])).code).toBe(6);
    } finally {
      await dropHome(limitedHome);
    }
    await rescue(home, ["session", "end", s.id]);
  });

  it("never returns the password or the token on the local API, nor writes them to the daemon log", async () => {
    const token = await loadToken(join(home, "secrets.json"), account(server.url, tech.email), JSON.parse(readFileSync(join(home, "config.json"), "utf8")).profile.storage);
    expect(token).toBeTruthy();
    const bodies: string[] = [];
    for (const path of ["/api/v1/status", "/api/v1/sessions", "/api/v1/recordings"]) bodies.push((await localRequest(home, "GET", path)).text);
    bodies.push((await localRequest(home, "POST", "/api/v1/reload")).text);
    const tap = tapEvents(home, 0);
    await tap.until((evs) => evs.length > 0);
    await new Promise((r) => setTimeout(r, 100));
    tap.close();
    bodies.push(tap.lines.join("\n"));
    DaemonStatus.parse(JSON.parse(bodies[0]!));
    const log = readFileSync(join(home, "logs", "rescued.log"), "utf8");
    expect(log.length).toBeGreaterThan(0);
    for (const text of [...bodies, log]) {
      expect(text).not.toContain(tech.password);
      expect(text).not.toContain(token!);
    }
  });

  it("administers groups and technicians when logged in as an admin", async () => {
    const adminHome = makeHome();
    try {
      await cliLogin(adminHome, server.url, server.admin.email, server.admin.password);
      const name = `Support ${Date.now()}`;
      const created = await rescue(adminHome, ["admin", "group", "create", name, "--permission", "lens,pin,chat", "--json"]);
      expect(created.code, created.stderr).toBe(0);
      expect(created.json()).toMatchObject({ name, permissions: ["lens", "pin", "chat"] });
      const set = await rescue(adminHome, ["admin", "group", "set", name, "--permission", "lens,pin,sms", "--json"]);
      expect(set.json().permissions).toEqual(["lens", "pin", "sms"]);
      expect((await rescue(adminHome, ["admin", "group", "set", name, "--permission", "lens,teleport"])).code).toBe(2);
      expect((await rescue(adminHome, ["admin", "group", "list", "--json"])).json<any[]>().map((g) => g.name)).toContain(name);
      const email = `bob-${Date.now()}@example.test`;
      const added = await rescue(adminHome, ["admin", "technician", "add", email, "--group", name, "--json"]);
      expect(added.code, added.stderr).toBe(0);
      expect(added.json()).toEqual({ email, password: expect.any(String) });
      expect((await rescue(adminHome, ["admin", "technician", "list", "--json"])).json<any[]>().map((t) => t.email)).toContain(email);
      expect((await rescue(adminHome, ["admin", "technician", "add", email, "--group", "No Such Group"])).code).toBe(6);
      // Adding what is there already is an error (1), not "not permitted" (5): the admin may add technicians.
      const again = await rescue(adminHome, ["admin", "technician", "add", email, "--group", name, "--json"]);
      expect(again.code, again.stderr).toBe(1);
      expect(again.stderr).toMatch(/already exists/);
      expect(again.stdout).toBe("");
      const groupAgain = await rescue(adminHome, ["admin", "group", "create", name]);
      expect(groupAgain.code, groupAgain.stderr).toBe(1);
      expect(groupAgain.stderr).toMatch(/already exists/);
      // The new technician can log in with the password shown once.
      const bobHome = makeHome();
      try {
        await cliLogin(bobHome, server.url, email, added.json().password);
        expect((await rescue(bobHome, ["whoami", "--json"])).json().group).toBe(name);
      } finally {
        await dropHome(bobHome);
      }
    } finally {
      await dropHome(adminHome);
    }
  });

  it("a token revoked elsewhere turns the daemon logged-out: commands exit 4 naming the fix", async () => {
    const h = makeHome();
    try {
      const t = await server.technician(["lens", "private", "pin"]);
      await cliLogin(h, server.url, t.email, t.password);
      expect((await rescue(h, ["session", "list", "--json"])).code).toBe(0);
      const storage = JSON.parse(readFileSync(join(h, "config.json"), "utf8")).profile.storage;
      const token = await loadToken(join(h, "secrets.json"), account(server.url, t.email), storage);
      const tap = tapEvents(h, null);
      await tap.opened;
      expect((await server.api("POST", "/api/v1/auth/logout", { token: token! })).status).toBeLessThan(300);
      await tap.until((evs) => evs.some((e) => e.type === "backend" && e.state === "logged-out"));
      tap.close();
      const r = await rescue(h, ["session", "list"]);
      expect(r.code, r.stderr).toBe(4);
      expect(r.stderr).toContain(`run rescue login --server ${server.url}`);
    } finally {
      await dropHome(h);
    }
  });

  it("session list --watch follows changes from the event stream until interrupted", async () => {
    const abort = new AbortController();
    let created: string | null = null;
    const seen: string[] = [];
    const watch = rescue(home, ["session", "list", "--watch", "--status", "connecting", "--json"], {
      signal: abort.signal,
      onStdout: (all) => {
        const lines = all.trimEnd().split("\n");
        seen.splice(0, seen.length, ...lines);
        // Done once the session has come and gone again.
        if (created && lines.some((l) => l.includes(created!)) && !lines.at(-1)!.includes(created)) abort.abort();
      },
    });
    await new Promise((r) => setTimeout(r, 300));
    const s = Session.parse((await rescue(home, ["session", "new", "--lens", "--pin", "--json"])).json());
    created = s.id;
    await rescue(home, ["session", "end", s.id]);
    const r = await watch;
    expect(r.code, r.stderr).toBe(0);
    const lists = seen.map((l) => JSON.parse(l) as Session[]);
    // It appeared while connecting, then left the filtered list when it was closed.
    expect(lists.some((l) => l.some((x) => x.id === s.id && x.status === "connecting"))).toBe(true);
    expect(lists.at(-1)!.some((x) => x.id === s.id)).toBe(false);
  });

  it("the console needs a terminal", async () => {
    const r = await rescue(home, ["console"]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/needs a terminal/);
  });

  it("logout forgets the token, tells the daemon, and later commands exit 4", async () => {
    const h = makeHome();
    try {
      const t = await server.technician(["lens", "private", "pin"]);
      await cliLogin(h, server.url, t.email, t.password);
      expect((await rescue(h, ["session", "list", "--json"])).code).toBe(0);
      const out = await rescue(h, ["logout", "--json"]);
      expect(out.json()).toMatchObject({ loggedOut: true, revoked: true });
      expect((await rescue(h, ["whoami"])).code).toBe(4);
      expect((await rescue(h, ["session", "list"])).code).toBe(4);
      const status = (await rescue(h, ["daemon", "status", "--json"])).json();
      expect(status.backend.state).toBe("logged-out");
    } finally {
      await dropHome(h);
    }
  });
});

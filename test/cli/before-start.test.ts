import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dropHome, loggedInHome, rescue } from "../helpers/cli.js";
import { customerReady, startTestServer, type TestServer, type WsProbe } from "../helpers/server.js";

describe("view, listen and snapshot before the session's start", () => {
  let server: TestServer;
  let home: string;
  const customers: WsProbe[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    ({ home } = await loggedInHome(server, ["lens", "private", "pin", "record"]));
  });
  afterAll(async () => {
    for (const c of customers) await c.close();
    await dropHome(home);
    await server.close();
  });

  it("say the same thing with the same exit code (1), connecting or waiting, and make no file", async () => {
    const created = await rescue(home, ["session", "new", "--lens", "--pin", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    const connecting = created.json<{ id: string; pin: string }>();
    const second = (await rescue(home, ["session", "new", "--lens", "--pin", "--json"])).json<{ id: string; pin: string }>();
    customers.push(await customerReady(server, second.pin));
    const waited = await rescue(home, ["session", "wait", second.id, "--status", "waiting", "--timeout", "30"]);
    expect(waited.code, waited.stderr).toBe(0);

    for (const [id, status] of [[connecting.id, "connecting"], [second.id, "waiting"]] as const) {
      const said = `rescue: the session has not started (it is ${status}): run rescue session start ${id} first, or rescue session wait ${id} --status active\n`;
      const wav = join(home, `${id}.wav`);
      const png = join(home, `${id}.png`);
      const commands = [
        ["session", "view", id, "--renderer", "blocks", "--frames", "1"],
        ["session", "listen", id, "--out", wav],
        ["session", "snapshot", id, "--out", png, "--json"],
      ];
      for (const args of commands) {
        const r = await rescue(home, args);
        expect({ command: args[1], status, code: r.code, stderr: r.stderr, stdout: r.stdout }).toEqual({ command: args[1], status, code: 1, stderr: said, stdout: "" });
      }
      expect(existsSync(wav)).toBe(false);
      expect(existsSync(png)).toBe(false);
    }
    expect(existsSync(join(home, "snapshots")) ? readdirSync(join(home, "snapshots")) : []).toEqual([]);
  }, 120_000);
});

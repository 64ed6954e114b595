import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEPLOY_HAPROXY_CFG, documentedNofile, freePort, haproxyConfig, startHaproxy, underNofile, type Balancer } from "../helpers/haproxy.js";
import { servedCount, startNodeCluster, type NodeCluster } from "../helpers/node-cluster.js";
import { openWs, type WsProbe } from "../helpers/server.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Debian's haproxy running deploy/haproxy/rescue.cfg (only its addresses rewritten) in front of
 * three `rescue-server` processes on one PostgreSQL and one Redis: no stickiness, WebSockets
 * upgraded through it, and a node that stops answering /readyz or dies leaves the pool.
 */
describe("haproxy in front of three nodes, as deploy/haproxy/rescue.cfg", { timeout: 120_000 }, () => {
  let cluster: NodeCluster;
  let lb: Balancer;
  const sockets: WsProbe[] = [];

  beforeAll(async () => {
    cluster = await startNodeCluster(3, ["--trust-proxy", "127.0.0.1"]);
    lb = await startHaproxy(cluster.ports.map((p) => `127.0.0.1:${p}`));
  }, 600_000);

  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    for (const n of cluster?.nodes ?? []) if (n.child.exitCode === null) n.child.kill("SIGCONT");
    await lb?.stop();
    await cluster?.stop();
  }, 60_000);

  it("runs the documented file: same check, timeouts and balance; only bind and server lines differ", () => {
    expect(lb.config).toContain("option httpchk GET /readyz");
    expect(lb.config).toContain("timeout tunnel 1h");
    expect(lb.config).toContain("balance roundrobin");
    expect(lb.config).not.toMatch(/\b(cookie|stick|balance source)\b/);
    expect(lb.config.match(/^\s*server /gm)).toHaveLength(3);
  });

  it("fits the documented file-descriptor limit: haproxy -c accepts the file and haproxy starts under it; twice the maxconn would not", async () => {
    const nofile = documentedNofile();
    const maxconn = Number(/^\s*maxconn (\d+)/m.exec(readFileSync(DEPLOY_HAPROXY_CFG, "utf8"))?.[1]);
    expect(maxconn).toBeGreaterThan(0);
    // The running balancer (beforeAll) has the deploy file's own maxconn, under that limit.
    expect(lb.config).toMatch(new RegExp(`^\\s*maxconn ${maxconn}$`, "m"));
    const dir = mkdtempSync(join(tmpdir(), "rescue-haproxy-limit-"));
    try {
      const run = (config: string, mode: string[]) => {
        const cfg = join(dir, "haproxy.cfg");
        writeFileSync(cfg, config);
        const [cmd, ...args] = underNofile(nofile, ["haproxy", ...mode, "-f", cfg]);
        return spawnSync(cmd!, args, { encoding: "utf8", timeout: 20_000 });
      };
      const config = haproxyConfig(await freePort(), cluster.ports.map((p) => `127.0.0.1:${p}`));
      const check = run(config, ["-c"]);
      expect(check.stderr + check.stdout).toContain("Configuration file is valid");
      expect(check.status).toBe(0);
      // haproxy -c does not weigh maxconn against the limit; starting does, and refuses at once
      // when the limit cannot hold it (the check above alone would pass such a file).
      const tooMany = run(config.replace(/^(\s*)maxconn \d+$/m, `$1maxconn ${maxconn * 2}`), ["-db"]);
      expect(tooMany.stderr).toContain("Cannot raise FD limit");
      expect(tooMany.status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("spreads one technician's requests over every node with no stickiness; a token from one node works on all", async () => {
    const tech = await cluster.technician(["lens", "private", "pin"]);
    const login = await cluster.api(lb.url, "POST", "/api/v1/auth/login", undefined, { email: tech.email, password: tech.password });
    expect(login.status).toBe(200);
    const before = await Promise.all(cluster.metrics.map((m) => servedCount(m, "GET", "/api/v1/me")));
    for (let i = 0; i < 12; i++) {
      const me = await cluster.api(lb.url, "GET", "/api/v1/me", login.body.token);
      expect(me.status).toBe(200);
      expect(me.body.email).toBe(tech.email);
    }
    const after = await Promise.all(cluster.metrics.map((m) => servedCount(m, "GET", "/api/v1/me")));
    const served = after.map((a, i) => a - before[i]!);
    expect(served.reduce((a, b) => a + b, 0)).toBe(12);
    for (const s of served) expect(s).toBeGreaterThanOrEqual(2);
  });

  it("upgrades technician and customer WebSockets through it; they meet in one session whatever node each lands on", async () => {
    const tech = await cluster.technician(["lens", "private", "pin"]);
    const token = (await cluster.api(lb.url, "POST", "/api/v1/auth/login", undefined, { email: tech.email, password: tech.password })).body.token;
    const lbWs = lb.url.replace(/^http/, "ws");
    const techWs = await openWs(`${lbWs}/api/v1/ws`, { headers: { authorization: `Bearer ${token}` } });
    sockets.push(techWs);
    const created = await cluster.api(lb.url, "POST", "/api/v1/sessions", token, { type: "lens", method: "pin" });
    expect(created.status).toBe(201);
    const customer = await openWs(`${lbWs}/api/v1/customer/ws`);
    sockets.push(customer);
    customer.send({ type: "join", pin: created.body.pin, name: "Customer" });
    await customer.next("joined", 10_000);
    customer.send({ type: "devices", camera: true, microphone: true });
    customer.send({ type: "eula", accepted: true });
    // The technician's socket hears the customer wait, through Redis when the two landed on different nodes.
    for (;;) {
      const m = await techWs.next(undefined, 15_000);
      if (JSON.stringify(m).includes(created.body.id) && JSON.stringify(m).includes("waiting")) break;
    }
    customer.send({ type: "chat", text: "hello through the balancer" });
    for (;;) {
      const m = await techWs.next(undefined, 15_000);
      if (JSON.stringify(m).includes("hello through the balancer")) break;
    }
  });

  it("takes a node that stops answering /readyz out of the pool, and a killed node too: requests continue on the others", async () => {
    const tech = await cluster.technician(["lens", "private", "pin"]);
    const token = (await cluster.api(lb.url, "POST", "/api/v1/auth/login", undefined, { email: tech.email, password: tech.password })).body.token;
    // Node 2 hangs (its socket accepts, nothing answers): only the /readyz check can find it out.
    cluster.nodes[1]!.child.kill("SIGSTOP");
    // The deploy file checks every 2 s and needs 2 failures; each check waits up to 2 s.
    await sleep(9_000);
    const t0 = Date.now();
    for (let i = 0; i < 9; i++) expect((await cluster.api(lb.url, "GET", "/api/v1/me", token)).status).toBe(200);
    // Nothing waited on the hung node (haproxy's server timeout is 60 s).
    expect(Date.now() - t0).toBeLessThan(15_000);

    // Node 3 dies: connections to it are refused and re-dispatched at once, then the check drops it.
    const before = await servedCount(cluster.metrics[0]!, "GET", "/api/v1/me");
    cluster.nodes[2]!.child.kill("SIGKILL");
    for (let i = 0; i < 10; i++) {
      const r = await cluster.api(lb.url, "GET", "/api/v1/me", token);
      expect(r.status).toBe(200);
    }
    expect((await servedCount(cluster.metrics[0]!, "GET", "/api/v1/me")) - before).toBe(10);
    const created = await cluster.api(lb.url, "POST", "/api/v1/sessions", token, { type: "lens", method: "pin" });
    expect(created.status).toBe(201);
    cluster.nodes[1]!.child.kill("SIGCONT");
  });
});

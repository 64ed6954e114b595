import { describe, expect, it } from "vitest";
import { Session, WS_CLOSE, type Permission } from "../../src/protocol/index.js";
import { trustProxy } from "../../src/server/proxy.js";
import { openCustomerWs, serverPerTest, type TestServer } from "../helpers/server.js";

const each = serverPerTest();
let server: TestServer | undefined;

const LENS: Permission[] = ["lens", "private", "pin"];
const login = (email: string, password: string, forwardedFor: string) =>
  server!.api("POST", "/api/v1/auth/login", { body: { email, password }, headers: { "x-forwarded-for": forwardedFor } });

/** Joins the customer socket with an X-Forwarded-For header: "joined" or the close code. */
async function join(pin: string, forwardedFor: string): Promise<"joined" | number> {
  const c = await openCustomerWs(server!, { headers: { "x-forwarded-for": forwardedFor } });
  each.keep(c);
  c.send({ type: "join", pin, name: "Ada" });
  return Promise.race([c.next("joined", 30_000).then(() => "joined" as const), c.closed.then((x) => x.code)]);
}
const connectedFrom = async (token: string, id: string) =>
  (await server!.api<{ event: string; address?: string }[]>("GET", `/api/v1/sessions/${id}/log`, { token })).body.find((e) => e.event === "customer-connected")?.address;
const wrong = (pin: string | null, i: number) => String((Number(pin) + i + 1) % 1_000_000).padStart(6, "0");

describe("--trust-proxy", () => {
  it("without it a forged X-Forwarded-For is ignored: every forged address is the same client to the limits and the log", async () => {
    server = await each.start({ limits: { login: { perSource: { burst: 3, windowMs: 60_000 } }, pins: { perSource: { burst: 3, windowMs: 60_000 } } } });
    const tech = await server.technician(LENS);
    for (let i = 0; i < 3; i++) expect((await login(`guess${i}@example.test`, "x", `198.51.100.${i}`)).status).toBe(401);
    expect((await login(tech.email, tech.password, "198.51.100.99")).status).toBe(429);

    const s = Session.parse((await server.api("POST", "/api/v1/sessions", { token: tech.token, body: { method: "pin" } })).body);
    for (let i = 0; i < 3; i++) expect(await join(wrong(s.pin, i), `2001:db8:${i}::1`)).toBe(WS_CLOSE.invalidPin);
    expect(await join(s.pin!, "2001:db8:99::1")).toBe(WS_CLOSE.rateLimited);
  });

  it("with it the client behind a trusted proxy is counted and logged by its own address", async () => {
    server = await each.start({ trustProxy: ["127.0.0.1/32", "fd00::/8"], limits: { login: { perSource: { burst: 3, windowMs: 60_000 } } } });
    const tech = await server.technician(LENS);
    for (let i = 0; i < 3; i++) expect((await login(`guess${i}@example.test`, "x", "203.0.113.5")).status).toBe(401);
    expect((await login(tech.email, tech.password, "203.0.113.5")).status).toBe(429);
    // Another customer of the same proxy; a spoofed first hop does not matter, the nearest untrusted one counts.
    expect((await login(tech.email, tech.password, "203.0.113.5, 203.0.113.6")).status).toBe(200);

    const s = Session.parse((await server.api("POST", "/api/v1/sessions", { token: tech.token, body: { method: "pin" } })).body);
    expect(await join(s.pin!, "2001:db8:1:2::7, fd00::1")).toBe("joined");
    expect(await connectedFrom(tech.token, s.id)).toBe("2001:db8:1:2::7");
  });

  it("takes IPv4 and IPv6 addresses and CIDRs, comma-separated or repeated, and names a bad entry", () => {
    const trust = trustProxy(["10.0.0.0/8,192.0.2.1", "2001:db8::/32", "::1"]);
    expect(trust && trust("10.1.2.3", 0)).toBe(true);
    expect(trust && trust("192.0.2.1", 0)).toBe(true);
    expect(trust && trust("2001:db8:5::1", 0)).toBe(true);
    expect(trust && trust("11.0.0.1", 0)).toBe(false);
    expect(trustProxy([])).toBe(false);
    expect(() => trustProxy(["10.0.0.0/33"])).toThrow('not an address or CIDR: "10.0.0.0/33"');
    expect(() => trustProxy(["proxy.example.com"])).toThrow(/proxy\.example\.com/);
  });
});

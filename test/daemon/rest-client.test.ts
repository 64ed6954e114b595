import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { RestClient } from "../../daemon/backend/rest.js";
import { RescueError } from "../../src/protocol/index.js";

/** The daemon's REST client against a real HTTP server on loopback that answers as servers and proxies do. */
describe("RestClient", () => {
  let server: http.Server;
  let base: string;
  const seen: { method?: string; auth?: string; type?: string; body: string }[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d));
      req.on("end", () => {
        seen.push({ method: req.method, auth: req.headers.authorization, type: req.headers["content-type"], body });
        if (req.url === "/ok") res.end(JSON.stringify({ n: 1 }));
        else if (req.url === "/conflict") (res.statusCode = 409), res.end(JSON.stringify({ error: { code: "conflict", message: "session has ended" } }));
        else if (req.url === "/proxy-error") (res.statusCode = 414), res.end("<html>URI Too Long</html>");
        else if (req.url === "/proxy-down") (res.statusCode = 502), res.end("<html>Bad Gateway</html>");
        else if (req.url === "/not-json") res.end("<html>hello</html>");
        else if (req.url === "/wrong-shape") res.end(JSON.stringify({ n: "one" }));
        else if (req.url === "/huge") res.end(Buffer.alloc(9 * 1024 * 1024, 0x20));
        // "/hang" never answers.
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const failure = async (p: Promise<unknown>): Promise<RescueError> => {
    const e = await p.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(RescueError);
    return e as RescueError;
  };

  it("sends the token and a JSON body, and parses the answer with its schema", async () => {
    const client = new RestClient(base, "tok-1");
    try {
      await expect(client.call("POST", "/ok", z.object({ n: z.number() }), { a: 1 })).resolves.toEqual({ n: 1 });
      expect(seen.at(-1)).toEqual({ method: "POST", auth: "Bearer tok-1", type: "application/json", body: '{"a":1}' });
      // The one unauthenticated call (joining by invitation PIN) sends no authorization header.
      const anonymous = new RestClient(base, "");
      await anonymous.call("GET", "/ok", z.object({ n: z.number() }));
      anonymous.close();
      expect(seen.at(-1)?.auth).toBeUndefined();
    } finally {
      client.close();
    }
  });

  it("turns the server's error body into its code, and a proxy's error page into one by its status", async () => {
    const client = new RestClient(base, "tok");
    try {
      expect((await failure(client.call("GET", "/conflict", z.unknown()))).code).toBe("conflict");
      // A 4xx page that is not our JSON is still the request's fault, a 5xx the server side's.
      expect((await failure(client.call("GET", "/proxy-error", z.unknown()))).code).toBe("bad_request");
      expect((await failure(client.call("GET", "/proxy-down", z.unknown()))).code).toBe("internal");
    } finally {
      client.close();
    }
  });

  it("refuses a success that is not JSON, has the wrong shape, or is too large to be an answer", async () => {
    const client = new RestClient(base, "tok");
    try {
      expect((await failure(client.call("GET", "/not-json", z.unknown()))).message).toMatch(/not JSON/);
      expect((await failure(client.call("GET", "/wrong-shape", z.object({ n: z.number() })))).message).toMatch(/unexpected answer/);
      expect((await failure(client.call("GET", "/huge", z.unknown()))).message).toMatch(/larger than/);
    } finally {
      client.close();
    }
  });

  it("gives up on a server that never answers, and says so for one that cannot be reached", async () => {
    const client = new RestClient(base, "tok", 500);
    try {
      const e = await failure(client.call("GET", "/hang", z.unknown()));
      expect(e.code).toBe("timeout");
      expect(e.message).toMatch(/did not answer within 0.5 s/);
    } finally {
      client.close();
    }
    const closed = await new Promise<number>((r) => {
      const s = http.createServer();
      s.listen(0, "127.0.0.1", () => {
        const port = (s.address() as AddressInfo).port;
        s.close(() => r(port));
      });
    });
    const unreachable = new RestClient(`http://127.0.0.1:${closed}`, "tok");
    try {
      const e = await failure(unreachable.call("GET", "/ok", z.unknown()));
      expect(e.code).toBe("unavailable");
      expect(e.message).toMatch(/ECONNREFUSED/);
    } finally {
      unreachable.close();
    }
  });
});

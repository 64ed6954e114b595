// PIN-guessing benchmark: run after `npx tsc -p tsconfig.json`. An embedded server on loopback
// (its default limits, or LIMITS=file.json as for `rescue-server start --limits`) is attacked over
// the customer WebSocket from 1, 20 and 256 addresses of 127.0.0.0/8 (Linux routes all of it to
// lo). Each scenario has a fresh server and two phases:
//   real time   SECONDS of guessing by CONCURRENCY sockets; halfway a real customer joins with a
//               live PIN from an address of their own, and we note whether they got in.
//   simulated   the server's clock is moved on STEP_MINUTES at a time for HOURS, twice; at each step
//               every address guesses until refused (at most PER_STEP), as a patient attacker would.
//               The first period still spends the addresses' bursts; the second gives the sustained
//               rate the limits allow, which seconds of real time cannot show.
// A guess counts as answered when the server looked the PIN up (close 4404), refused when it was
// turned away unread (4429). Years to walk 10^6 PINs = 10^6 / sustained answered guesses per year.
// Bounded: at most MAX_PROBES sockets per scenario. Prints one JSON object.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import WebSocket from "ws";
import { apiOf } from "./system.mjs";

const SECONDS = Number(process.env.SECONDS ?? 5);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 32);
const HOURS = Number(process.env.HOURS ?? 24);
const STEP_MINUTES = Number(process.env.STEP_MINUTES ?? 60);
const PER_STEP = Number(process.env.PER_STEP ?? 20);
const MAX_PROBES = Number(process.env.MAX_PROBES ?? 40_000);
const ADDRESS_COUNTS = (process.env.ADDRESSES ?? "1,20,256").split(",").map(Number);
const SPACE = 1_000_000;
const YEAR_S = 365.25 * 24 * 3600;

const root = resolve(import.meta.dirname, "..");
const { initData, startServer } = await import(join(root, "dist/src/server/index.js"));
const limits = process.env.LIMITS ? JSON.parse(readFileSync(process.env.LIMITS, "utf8")) : undefined;
const round = (v, digits = 3) => (Number.isFinite(v) ? Math.round(v * 10 ** digits) / 10 ** digits : v);

/** The i-th attacking address of scenario `s`: 127.(10+s).x.y, never .0 or .255. */
const address = (s, i) => `127.${10 + s}.${Math.floor(i / 250)}.${(i % 250) + 1}`;

/** One join over a fresh customer socket from `from`: "joined", "answered" (4404) or "refused" (4429). */
function joinAs(wsUrl, from, pin) {
  return new Promise((done) => {
    const ws = new WebSocket(`${wsUrl}/api/v1/customer/ws`, { localAddress: from });
    ws.on("error", () => done("error"));
    ws.on("open", () => ws.send(JSON.stringify({ type: "join", pin })));
    ws.on("message", (d) => {
      if (JSON.parse(String(d)).type === "joined") {
        done("joined");
        ws.close();
      }
    });
    ws.on("close", (code) => done(code === 4404 ? "answered" : code === 4429 ? "refused" : `closed ${code}`));
  });
}

async function scenario(index, addresses) {
  const work = mkdtempSync(join(tmpdir(), "rescue-bench-pins-"));
  let offsetMs = 0;
  const admin = await initData(join(work, "data"), "bench@example.test");
  const server = await startServer({ dataDir: join(work, "data"), logLevel: "error", now: () => new Date(Date.now() + offsetMs), ...(limits ? { limits } : {}) });
  const wsUrl = server.url.replace(/^http/, "ws");
  const api = apiOf(server.url);
  try {
    const token = (await api("POST", "/api/v1/auth/login", undefined, admin)).token;
    const session = await api("POST", "/api/v1/sessions", token, { method: "pin" });
    const live = new Set([session.pin]);
    let probes = 0;
    let nextPin = 0;
    const guessPin = () => {
      let pin;
      do pin = String(nextPin++ % SPACE).padStart(6, "0");
      while (live.has(pin));
      return pin;
    };
    const tally = { answered: 0, refused: 0, other: 0 };
    const count = (r) => (r === "answered" ? tally.answered++ : r === "refused" ? tally.refused++ : tally.other++);

    // Real time: CONCURRENCY workers, each taking the addresses in turn.
    let customer = { gotIn: false, joinMs: null };
    const start = performance.now();
    const until = start + SECONDS * 1000;
    const realCustomer = (async () => {
      await new Promise((r) => setTimeout(r, (SECONDS * 1000) / 2));
      const t0 = performance.now();
      const r = await joinAs(wsUrl, "127.200.0.1", session.pin);
      customer = { gotIn: r === "joined", answer: r, joinMs: round(performance.now() - t0, 1) };
    })();
    let turn = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (performance.now() < until && probes < MAX_PROBES) {
          probes++;
          count(await joinAs(wsUrl, address(index, turn++ % addresses), guessPin()));
        }
      }),
    );
    await realCustomer;
    const realSeconds = (performance.now() - start) / 1000;
    const real = { ...tally };

    // Simulated: the clock moves on; each address guesses until refused, all addresses at once.
    const steps = Math.round((HOURS * 60) / STEP_MINUTES);
    const period = async () => {
      tally.answered = tally.refused = tally.other = 0;
      for (let step = 0; step < steps && probes < MAX_PROBES; step++) {
        offsetMs += STEP_MINUTES * 60_000;
        await Promise.all(
          Array.from({ length: addresses }, async (_, a) => {
            for (let k = 0; k < PER_STEP && probes < MAX_PROBES; k++) {
              probes++;
              const r = await joinAs(wsUrl, address(index, a), guessPin());
              count(r);
              if (r !== "answered") return;
            }
          }),
        );
      }
      return { answered: tally.answered, refused: tally.refused };
    };
    const first = await period();
    const later = await period();
    const sustained = later.answered / (steps * STEP_MINUTES * 60);
    return {
      addresses,
      realTime: { seconds: round(realSeconds, 2), answered: real.answered, refused: real.refused, other: real.other, guessesPerSecond: round(real.answered / realSeconds) },
      realCustomerDuringAttack: customer,
      simulated: { hours: HOURS, stepMinutes: STEP_MINUTES, firstPeriod: first, laterPeriod: later, sustainedGuessesPerSecond: round(sustained, 6) },
      yearsToWalk1e6: sustained > 0 ? round(SPACE / sustained / YEAR_S, 2) : "never",
      truncated: probes >= MAX_PROBES,
      probes,
    };
  } finally {
    await server.close();
    rmSync(work, { recursive: true, force: true });
  }
}

const scenarios = [];
for (const [i, n] of ADDRESS_COUNTS.entries()) scenarios.push(await scenario(i, n));
console.log(
  JSON.stringify(
    {
      route: "customer WebSocket join",
      limits: limits ?? "defaults",
      scenarios,
      cpus: (await import("node:os")).cpus().length,
      node: process.version,
    },
    null,
    2,
  ),
);

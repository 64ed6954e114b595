import { describe, expect, it } from "vitest";
import { BandwidthEstimator } from "../../daemon/session/bandwidth-estimator.js";

/**
 * Synthetic arrivals: a sender paces 1200-byte packets at `sendBps`, stamping abs-send-time; they
 * cross a link of `linkBps` (Infinity: no queue) with a fixed base delay. Packets the link cannot
 * carry queue up, so their one-way delay grows, as on a congested path.
 */
interface Path {
  sendBps: number;
  linkBps?: number;
  /** Drop every n-th packet (loss of 1/n). */
  dropEvery?: number;
  /** Arrival jitter, ms (uniform 0..jitter, deterministic). */
  jitterMs?: number;
  /** Stall the receiver once at this time (ms) for stallMs: packets arrive together afterwards (a blocked event loop). */
  stallAtMs?: number;
  stallMs?: number;
  /** Where the sender's clock starts, seconds (62.5 crosses abs-send-time's 64 s wrap). */
  sendStartSec?: number;
}

const PACKET = 1200;

/** Runs traffic from `fromMs` to `toMs` through the estimator, calling update every 100 ms; returns the estimates seen. */
function drive(est: BandwidthEstimator, path: Path, toMs: number, fromMs = 0): number[] {
  const gapMs = (PACKET * 8 * 1000) / path.sendBps;
  const serviceMs = path.linkBps ? (PACKET * 8 * 1000) / path.linkBps : 0;
  const estimates: number[] = [];
  let linkFreeAtMs = fromMs;
  let nextUpdateMs = fromMs + 100;
  let seed = 1;
  const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  for (let i = Math.ceil(fromMs / gapMs); i * gapMs < toMs; i++) {
    const sendMs = i * gapMs;
    let arrivalMs = Math.max(sendMs, linkFreeAtMs) + serviceMs;
    linkFreeAtMs = arrivalMs;
    arrivalMs += 20 + random() * (path.jitterMs ?? 0);
    if (path.stallAtMs !== undefined && arrivalMs > path.stallAtMs && arrivalMs < path.stallAtMs + path.stallMs!) arrivalMs = path.stallAtMs + path.stallMs!;
    while (nextUpdateMs <= arrivalMs) {
      estimates.push(est.update(nextUpdateMs));
      nextUpdateMs += 100;
    }
    if (path.dropEvery && i % path.dropEvery === 0) continue;
    const sendSec = (path.sendStartSec ?? 0) + sendMs / 1000;
    est.onPacket({ arrivalMs, absSendTime: Math.round(sendSec * 262_144) & 0xffffff, ssrc: 1234, sequenceNumber: i & 0xffff, bytes: PACKET });
  }
  return estimates;
}

describe("receive-side bandwidth estimator (REMB)", () => {
  it("starts at the start bitrate and grows while the delay stays flat, up to 1.5x what arrives", () => {
    const est = new BandwidthEstimator({ startBps: 1_500_000, minBps: 300_000, maxBps: 2_500_000 });
    expect(est.estimateBps).toBe(1_500_000);
    const estimates = drive(est, { sendBps: 1_400_000, sendStartSec: 62.5 }, 6000);
    expect(est.signal).not.toBe("overuse");
    expect(Math.min(...estimates)).toBeGreaterThanOrEqual(1_500_000);
    expect(est.estimateBps).toBeGreaterThan(1_900_000);
    // The receive rate over 500 ms may hold one packet more than the send rate.
    expect(est.estimateBps).toBeLessThanOrEqual(1.5 * (1_400_000 + (PACKET * 8) / 0.5) + 10_000);
  });

  it("keeps growing through arrival jitter and a 60 ms receiver stall (grouped as one burst)", () => {
    const est = new BandwidthEstimator({ startBps: 1_000_000 });
    const estimates = drive(est, { sendBps: 1_200_000, jitterMs: 4, stallAtMs: 2000, stallMs: 60 }, 5000);
    expect(Math.min(...estimates)).toBeGreaterThanOrEqual(1_000_000);
    expect(est.estimateBps).toBeGreaterThan(1_250_000);
  });

  it("backs off to about 0.85x the receive rate when the delay keeps growing (a queue builds up)", () => {
    const est = new BandwidthEstimator({ startBps: 1_500_000, minBps: 100_000 });
    // 2 Mbit/s into a 1 Mbit/s link: the queue grows by half the packets sent.
    drive(est, { sendBps: 2_000_000, linkBps: 1_000_000 }, 3000);
    expect(est.delayGradientMs).toBeGreaterThan(0);
    expect(est.estimateBps).toBeLessThan(1_000_000);
    expect(est.estimateBps).toBeGreaterThan(0.85 * 1_000_000 * 0.8);
  });

  it("backs off under heavy loss (over 10%) and holds under moderate loss (2-10%)", () => {
    const heavy = new BandwidthEstimator({ startBps: 1_500_000 });
    drive(heavy, { sendBps: 1_200_000, dropEvery: 5 }, 3500);
    expect(heavy.lossFraction).toBeCloseTo(0.2, 1);
    // A = A (1 - 0.5 p) per second: three seconds at 20% loss.
    expect(heavy.estimateBps).toBeLessThan(1_500_000 * 0.9 ** 2);

    const moderate = new BandwidthEstimator({ startBps: 1_500_000 });
    drive(moderate, { sendBps: 1_200_000, dropEvery: 20 }, 1050);
    const atFirstReport = moderate.estimateBps; // loss is judged once a second
    drive(moderate, { sendBps: 1_200_000, dropEvery: 20 }, 4000, 1050);
    expect(moderate.lossFraction).toBeCloseTo(0.05, 1);
    expect(moderate.estimateBps).toBe(atFirstReport);
  });

  it("stays within the configured floor and ceiling", () => {
    const est = new BandwidthEstimator({ startBps: 2_000_000, minBps: 500_000, maxBps: 2_200_000 });
    drive(est, { sendBps: 2_000_000 }, 4000);
    expect(est.estimateBps).toBe(2_200_000);
    drive(est, { sendBps: 2_000_000, dropEvery: 2 }, 12_000, 4000);
    expect(est.estimateBps).toBe(500_000);
  });

  it("closed loop: a sender that follows the estimate over a 1 Mbit/s link keeps the queue short and the rate near the link", () => {
    const est = new BandwidthEstimator({ startBps: 1_500_000, minBps: 300_000, maxBps: 2_500_000 });
    const linkBps = 1_000_000;
    let t = 0;
    let seq = 0;
    let linkFreeAtMs = 0;
    let rate = est.estimateBps;
    let nextUpdateMs = 100;
    const queueMs: number[] = [];
    const estimates: number[] = [];
    while (t < 20_000) {
      t += (PACKET * 8 * 1000) / rate;
      const start = Math.max(t, linkFreeAtMs);
      seq++;
      if (start - t > 500) continue; // a full queue drops
      if (t > 3000) queueMs.push(start - t);
      linkFreeAtMs = start + (PACKET * 8 * 1000) / linkBps;
      const arrivalMs = linkFreeAtMs + 20;
      while (nextUpdateMs <= arrivalMs) {
        rate = est.update(nextUpdateMs); // the sender obeys each REMB at once
        if (nextUpdateMs > 3000) estimates.push(rate);
        nextUpdateMs += 100;
      }
      est.onPacket({ arrivalMs, absSendTime: Math.round((t / 1000) * 262_144) & 0xffffff, ssrc: 1, sequenceNumber: seq & 0xffff, bytes: PACKET });
    }
    // Past the start: at most a short queue, and between the back-off (0.85x) and a little above the link.
    expect(Math.max(...queueMs)).toBeLessThan(100);
    expect(Math.min(...estimates)).toBeGreaterThan(0.75 * linkBps);
    expect(Math.max(...estimates)).toBeLessThan(1.1 * linkBps);
  });
});

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_LIMITS, limitsWith } from "../../src/server/limits/config.js";
import { readLimitsFile } from "../../src/server/limits/file.js";

const dir = mkdtempSync(join(tmpdir(), "rescue-limits-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("--limits FILE", () => {
  it("changes a single value and keeps every other at its default", () => {
    const file = join(dir, "one.json");
    writeFileSync(file, JSON.stringify({ pins: { perSource: { burst: 5 } }, http: { maxConnections: 1000 } }));
    const limits = limitsWith(readLimitsFile(file));
    expect(limits.pins.perSource).toEqual({ burst: 5, windowMs: DEFAULT_LIMITS.pins.perSource.windowMs });
    expect(limits.pins.global).toEqual(DEFAULT_LIMITS.pins.global);
    expect(limits.http).toEqual({ ...DEFAULT_LIMITS.http, maxConnections: 1000 });
    expect(limits.login).toEqual(DEFAULT_LIMITS.login);
  });

  it("still refuses a misspelt name", () => {
    const file = join(dir, "typo.json");
    writeFileSync(file, JSON.stringify({ pins: { perSource: { brust: 5 } } }));
    expect(() => readLimitsFile(file)).toThrow(/brust/);
  });
});

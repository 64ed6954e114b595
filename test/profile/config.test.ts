import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { clearProfile, readProfile, writeProfile, type Profile } from "../../src/profile/config.js";

const PROFILE: Profile = { server: "https://rescue.example.test", email: "tech@example.test", storage: "file", name: "Tech" };

describe("the login profile (RESCUE_HOME/config.json)", () => {
  let home: string;
  beforeEach(() => {
    home = join(mkdtempSync(join(tmpdir(), "rescue-profile-")), "home");
  });
  afterEach(() => rmSync(join(home, ".."), { recursive: true, force: true }));

  it("is written 0600 in a 0700 home and read back; logging out keeps the file's other keys", () => {
    expect(readProfile(home)).toBeNull();
    writeProfile(home, PROFILE);
    expect(statSync(home).mode & 0o777).toBe(0o700);
    expect(statSync(join(home, "config.json")).mode & 0o777).toBe(0o600);
    expect(readProfile(home)).toEqual(PROFILE);

    const file = join(home, "config.json");
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, "utf8")), other: 1 }));
    clearProfile(home);
    expect(readProfile(home)).toBeNull();
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ other: 1 });
  });

  it("reads the file earlier versions wrote (tab-indented, the same keys)", () => {
    writeProfile(home, PROFILE);
    writeFileSync(join(home, "config.json"), JSON.stringify({ profile: { server: "http://127.0.0.1:45505", email: "a@b.test", storage: "keychain" } }, undefined, "\t"));
    expect(readProfile(home)).toEqual({ server: "http://127.0.0.1:45505", email: "a@b.test", storage: "keychain" });
  });

  it("takes a damaged file or a profile of the wrong shape as no profile, and a loose home is tightened", () => {
    writeProfile(home, PROFILE);
    const file = join(home, "config.json");
    writeFileSync(file, "{ not json");
    expect(readProfile(home)).toBeNull();
    writeFileSync(file, JSON.stringify({ profile: { server: 42, email: "x", storage: "carrier-pigeon" } }));
    expect(readProfile(home)).toBeNull();
    chmodSync(home, 0o755);
    writeProfile(home, PROFILE);
    expect(statSync(home).mode & 0o777).toBe(0o700);
    expect(readProfile(home)).toEqual(PROFILE);
  });
});

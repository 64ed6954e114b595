import { describe, expect, it } from "vitest";
import { offerIdentity } from "../../daemon/session/manager.js";

const offer = (origin: string, ufrag: string, candidates: string[] = []) =>
  ["v=0", `o=- ${origin} IN IP4 127.0.0.1`, "s=-", "m=video 9 UDP/TLS/RTP/SAVPF 96", `a=ice-ufrag:${ufrag}`, "a=ice-pwd:secret", ...candidates, ""].join("\r\n");

describe("offerIdentity", () => {
  it("sees a re-sent local description with gathered candidates as the same offer", () => {
    const first = offer("4611 2", "abcd");
    const again = offer("4611 2", "abcd", ["a=candidate:1 1 udp 2122260223 198.51.100.2 50000 typ host"]);
    expect(again).not.toBe(first);
    expect(offerIdentity(again)).toBe(offerIdentity(first));
  });

  it("tells a new offer by its origin version or ICE credentials", () => {
    expect(offerIdentity(offer("4611 3", "abcd"))).not.toBe(offerIdentity(offer("4611 2", "abcd")));
    expect(offerIdentity(offer("4611 2", "wxyz"))).not.toBe(offerIdentity(offer("4611 2", "abcd")));
  });
});

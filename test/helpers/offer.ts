import { RTCPeerConnection, useOPUS, useVP8 } from "werift";

/**
 * A real werift offer as the customer's device makes one: sendonly sections of the kinds asked
 * for (VP8 video and Opus audio by default; none gives an offer without media).
 */
export async function customerOffer(kinds: readonly ("video" | "audio")[] = ["video", "audio"]): Promise<{ pc: RTCPeerConnection; sdp: string }> {
  const pc = new RTCPeerConnection({
    iceAdditionalHostAddresses: ["127.0.0.1"],
    bundlePolicy: "max-bundle",
    codecs: { video: [useVP8()], audio: [useOPUS()] },
  });
  for (const kind of kinds) pc.addTransceiver(kind, { direction: "sendonly" });
  await pc.setLocalDescription(await pc.createOffer());
  return { pc, sdp: pc.localDescription!.sdp };
}

import * as z from "zod";

/** WebRTC signalling relayed by the server between the customer and the technician's daemon. */
export const Signal = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("offer"), sdp: z.string().max(60_000) }),
  z.object({ kind: z.literal("answer"), sdp: z.string().max(60_000) }),
  z.object({
    kind: z.literal("candidate"),
    candidate: z.object({
      candidate: z.string().max(1000),
      sdpMid: z.string().max(64).nullable().optional(),
      sdpMLineIndex: z.number().int().min(0).max(64).nullable().optional(),
    }),
  }),
]);
export type Signal = z.infer<typeof Signal>;

/** Why an SDP offer cannot be answered with media, or undefined when it can. */
function offerProblem(sdp: string): string | undefined {
  const lines = sdp.split(/\r?\n/).map((l) => l.trim());
  if (lines[0] !== "v=0" || !lines.some((l) => l.startsWith("o="))) return "not an SDP offer (no v=0 and o= lines)";
  const media = lines.filter((l) => /^m=(audio|video) [1-9]\d* /.test(l));
  if (media.length === 0) return "the offer has no audio or video section";
  if (!media.every((l) => l.split(" ")[2]?.includes("RTP/SAVP"))) return "the offer's media is not DTLS-SRTP";
  for (const attr of ["a=ice-ufrag:", "a=ice-pwd:", "a=fingerprint:"]) {
    if (!lines.some((l) => l.startsWith(attr))) return `the offer has no ${attr.slice(2, -1)}`;
  }
  return undefined;
}

/**
 * An offer the technician's daemon can answer: an SDP with an audio or video section sent over
 * DTLS-SRTP with ICE credentials. Anything else gets no answer (and no peer).
 */
export const MediaOffer = z.string().superRefine((sdp, ctx) => {
  const problem = offerProblem(sdp);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

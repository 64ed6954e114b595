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

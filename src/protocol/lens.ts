import * as z from "zod";
import { Id, Printable } from "./common.js";

/**
 * Lens tools: what the technician shows on the customer's own camera picture. Coordinates are
 * normalised to the video frame as sent (0..1 from its left and top edges; a radius is a fraction
 * of the frame's width), so they mean the same on the technician's picture and on the customer's
 * preview whatever the sizes. The lead's daemon carries `LensCommand` to the customer's page on
 * the WebRTC data channel LENS_CHANNEL of the lead's connection (the page, which offers, creates
 * it); the page answers requests with `LensReply`. Every draw goes through the server first
 * (POST /api/v1/sessions/:id/lens): the lead, and collaborators with `annotate`, are allowed.
 */
export const LENS_CHANNEL = "lens";

/** Named colours only: what a page draws is one of these, never a caller's CSS. */
export const LENS_COLORS = ["red", "yellow", "green", "blue", "white", "black"] as const;
export const LensColor = z.enum(LENS_COLORS);
export type LensColor = z.infer<typeof LensColor>;

const Coord = z.number().finite().min(0).max(1);
const Point = z.strictObject({ x: Coord, y: Coord });

export const LensShape = z.discriminatedUnion("kind", [
  /** A marker at one point ("look here"); a new pointer replaces the previous one. */
  z.strictObject({ kind: z.literal("pointer"), x: Coord, y: Coord }),
  /** From (x, y) to the head at (x2, y2). */
  z.strictObject({ kind: z.literal("arrow"), x: Coord, y: Coord, x2: Coord, y2: Coord }),
  z.strictObject({ kind: z.literal("circle"), x: Coord, y: Coord, r: z.number().finite().gt(0).max(1) }),
  /** A free line through the points, in order. */
  z.strictObject({ kind: z.literal("line"), points: z.array(Point).min(2).max(500) }),
  /** A label whose top-left corner is at (x, y). */
  z.strictObject({
    kind: z.literal("text"),
    x: Coord,
    y: Coord,
    text: z.string().min(1).max(200).regex(/^[^\p{Cc}]+$/u, "no control characters"),
  }),
]);
export type LensShape = z.infer<typeof LensShape>;

/** Zoom as the camera's own factor (MediaTrackConstraints `zoom`, e.g. 1 to 10). */
export const ZoomLevel = z.number().finite().min(0.1).max(100);

/** What a technician asks for: the body of POST /api/v1/sessions/:id/lens (server and local API). */
export const LensAction = z.discriminatedUnion("action", [
  z.strictObject({ action: z.literal("draw"), shape: LensShape, color: LensColor.default("red") }),
  /** The newest drawing, or with `all` every one. */
  z.strictObject({ action: z.literal("erase"), all: z.boolean().default(false) }),
  /** Both sides hold the current picture; drawings stay on it. */
  z.strictObject({ action: z.literal("freeze") }),
  z.strictObject({ action: z.literal("unfreeze") }),
  z.strictObject({ action: z.literal("zoom"), level: ZoomLevel }),
  z.strictObject({ action: z.literal("torch"), on: z.boolean() }),
]);
export type LensAction = z.infer<typeof LensAction>;
export type LensActionInput = z.input<typeof LensAction>;

/** The log event a Lens action is written as in the session log. */
export function lensLogEvent(action: LensAction["action"]): "annotation" | "freeze" | "unfreeze" | "camera" {
  if (action === "draw" || action === "erase") return "annotation";
  if (action === "freeze" || action === "unfreeze") return action;
  return "camera";
}

/**
 * What the lead's daemon answers about a collaborator's action it was given: delivered to the
 * customer's page (for zoom and torch with the camera's answer), or why not.
 */
export const LensRelayResult = z.discriminatedUnion("delivered", [
  z.strictObject({ delivered: z.literal(true), applied: z.boolean().optional(), reason: z.string().max(300).optional() }),
  z.strictObject({ delivered: z.literal(false), message: z.string().max(500) }),
]);
export type LensRelayResult = z.infer<typeof LensRelayResult>;

/** The server's answer to a Lens action it allowed. */
export const LensAccepted = z.object({
  sessionId: Id,
  /**
   * "lead": the caller's own daemon delivers it; "relayed": the lead's daemon delivered it to the
   * customer's page (the server answers once that daemon confirmed it).
   */
  delivery: z.enum(["lead", "relayed"]),
  /** Relayed zoom and torch: whether the customer's camera did it, and why not. */
  applied: z.boolean().optional(),
  reason: z.string().optional(),
});
export type LensAccepted = z.infer<typeof LensAccepted>;

/** A request id on the data channel: short, printable. */
export const LensRequestId = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/);

/** Daemon -> customer page, one JSON text message per command on the data channel. */
export const LensCommand = z.discriminatedUnion("op", [
  z.strictObject({ op: z.literal("draw"), shape: LensShape, color: LensColor }),
  z.strictObject({ op: z.literal("erase"), all: z.boolean() }),
  z.strictObject({ op: z.literal("freeze") }),
  z.strictObject({ op: z.literal("unfreeze") }),
  /** Camera constraints: the page answers with a LensReply of the same id. */
  z.strictObject({ op: z.literal("zoom"), id: LensRequestId, level: ZoomLevel }),
  z.strictObject({ op: z.literal("torch"), id: LensRequestId, on: z.boolean() }),
]);
export type LensCommand = z.infer<typeof LensCommand>;

/** Customer page -> daemon: whether the device did what a request asked. */
export const LensReply = z.strictObject({
  op: z.literal("reply"),
  id: LensRequestId,
  /** True when the camera applied it; false when it is not supported or refused. */
  applied: z.boolean(),
  /** Why not, for people: "unsupported", or the browser's error (printed to the technician: Printable). */
  reason: Printable(300).optional(),
});
export type LensReply = z.infer<typeof LensReply>;

/** What the local API answers to a Lens action (`rescue lens ... --json`). */
export const LensResult = z.object({
  sessionId: Id,
  action: z.string(),
  /** Delivered to the customer's page by this daemon, or by the lead's (confirmed) for a collaborator. */
  delivery: z.enum(["lead", "relayed"]),
  /** Zoom and torch: whether the customer's camera did it, and why not. */
  applied: z.boolean().optional(),
  reason: z.string().optional(),
  /** Freeze: the technician's still of the frozen picture. */
  snapshot: z.object({ path: z.string(), width: z.number().int(), height: z.number().int() }).optional(),
});
export type LensResult = z.infer<typeof LensResult>;

/** Turns a LensAction into the command on the channel (request ids for zoom and torch). */
export function lensCommandOf(action: LensAction, requestId: string): LensCommand {
  switch (action.action) {
    case "draw":
      return { op: "draw", shape: action.shape, color: action.color };
    case "erase":
      return { op: "erase", all: action.all };
    case "freeze":
      return { op: "freeze" };
    case "unfreeze":
      return { op: "unfreeze" };
    case "zoom":
      return { op: "zoom", id: requestId, level: action.level };
    case "torch":
      return { op: "torch", id: requestId, on: action.on };
  }
}

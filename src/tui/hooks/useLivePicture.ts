import { useEffect, useState } from "react";
import { blockLines } from "../../picture/blocks.js";
import { LivePicture } from "../../picture/live-picture.js";
import type { RgbFrame } from "../../media/video-decoder.js";
import type { ConsoleClient } from "../client.js";
import { describeError } from "../errors.js";

export interface LivePictureState {
  /** Half-block lines of the newest picture; null before the first one. */
  lines: string[] | null;
  error: string | null;
}

/** The console redraws the whole screen per change: a picture at 10 fps keeps Ink's work small. */
const REDRAW_MS = 100;

/**
 * The live picture of session `id` as half-block lines for `area` (cells), while both are set.
 * Decoding runs all the time (ffmpeg); the screen takes the newest picture every REDRAW_MS.
 */
export function useLivePicture(client: ConsoleClient, id: string | null, area: { cols: number; rows: number } | null): LivePictureState {
  const [state, setState] = useState<LivePictureState>({ lines: null, error: null });
  const cols = area?.cols ?? 0;
  const rows = area?.rows ?? 0;
  useEffect(() => {
    setState({ lines: null, error: null });
    if (id === null || cols === 0) return;
    const picture = new LivePicture(() => client.videoStream(id), { width: cols, height: rows * 2 });
    let latest: RgbFrame | null = null;
    picture.on("frame", (frame) => (latest = frame));
    picture.on("end", ({ error }) => setState((s) => ({ ...s, error: error ? describeError(error) : "the video ended" })));
    picture.start().catch((e: unknown) => setState({ lines: null, error: describeError(e) }));
    const timer = setInterval(() => {
      if (!latest) return;
      const lines = blockLines(latest);
      latest = null;
      setState({ lines, error: null });
    }, REDRAW_MS);
    return () => {
      clearInterval(timer);
      picture.close();
    };
  }, [client, id, cols, rows]);
  return state;
}

import { RescueError, type LiveTalkResponse, type Session } from "../../src/protocol/index.js";
import { opusPacketSamples } from "../../src/media/ogg-opus.js";
import { OggOpusStreamReader } from "../../src/media/ogg-opus-stream.js";
import { OggOpusWriter } from "../../src/media/ogg-writer.js";
import type { Daemon } from "../daemon.js";
import { BoundedWriter } from "./bounded-writer.js";
import type { Route, RouteContext } from "./server.js";

/**
 * Bytes a listener may have waiting in its socket before packets are dropped for it: about two
 * seconds of 64 kbit/s Opus. A slow reader loses audio rather than growing the daemon's memory.
 */
const MAX_LISTENER_BACKLOG = 16 * 1024;

/** The customer's voice out (`/audio`) and the technician's live voice in (`/talk/live`). */
export function audioRoutes(d: Daemon, knownSession: (id: string) => Promise<Session>): Route[] {
  return [
    {
      method: "GET",
      path: "/api/v1/sessions/:id/audio",
      streams: true,
      handler: async (ctx) => {
        const id = (await knownSession(ctx.params.id!)).id;
        // A listener that keeps the voice in a file records the customer: it needs `record`, and the lead sees it in the log.
        const save = ctx.query.get("save") === "1";
        if (save) await d.manager.maySave(id);
        streamCustomerAudio(d, id, ctx);
        if (save) d.manager.voiceSaved(id);
      },
    },
    {
      method: "POST",
      path: "/api/v1/sessions/:id/talk/live",
      rawBody: true,
      handler: async (ctx) => liveTalk(d, (await knownSession(ctx.params.id!)).id, ctx),
    },
  ];
}

/** Ogg/Opus from the moment of subscription, each page written (and sent) as its packet arrives. */
function streamCustomerAudio(d: Daemon, id: string, { req, res }: RouteContext): void {
  const writer = new OggOpusWriter({ channels: 2 });
  const out = new BoundedWriter(res, MAX_LISTENER_BACKLOG);
  const unsubscribe = d.manager.listen(id, {
    // A dropped packet never becomes a page: the stream stays gap-free for the reader's demuxer.
    packet: (data) => void out.write(() => writer.packet(data, opusPacketSamples(data))),
    end: () => res.end(writer.end()),
  });
  res.writeHead(200, { "content-type": "audio/ogg", "cache-control": "no-store" });
  res.write(writer.header());
  req.socket.setTimeout(0);
  res.on("close", () => {
    unsubscribe();
    if (out.dropped > 0) d.log.info(`session ${id}: a slow audio listener missed ${out.dropped} packets`);
  });
}

/**
 * Reads the upload as Ogg/Opus while it arrives and sends each packet at once. Answers when the
 * upload ends, or earlier when the talk is stopped (the session ended): then the connection closes.
 */
async function liveTalk(d: Daemon, id: string, { req, res }: RouteContext): Promise<LiveTalkResponse> {
  const live = d.manager.talkLive(id);
  const reader = new OggOpusStreamReader();
  let receivedPackets = 0;
  let uploadEnded = false;
  let bad: string | null = null;
  const onData = (chunk: Buffer): void => {
    try {
      for (const packet of reader.push(chunk)) {
        receivedPackets++;
        live.push(packet);
      }
    } catch (e) {
      bad = (e as Error).message;
      live.end();
    }
  };
  req.on("data", onData);
  req.once("end", () => {
    uploadEnded = true;
    live.end();
  });
  req.once("close", () => live.end());
  req.socket.setTimeout(0);
  await live.ended;
  req.off("data", onData);
  if (!uploadEnded) {
    // The client may still be sending: drop the rest and the connection with the answer.
    res.setHeader("connection", "close");
    req.resume();
  }
  // Assigned in the data handler, which type narrowing does not follow.
  const reason = bad as string | null;
  if (reason) throw new RescueError("bad_request", `the upload is not Ogg/Opus: ${reason}`);
  return { receivedPackets, sentPackets: live.sentPackets, endedBy: uploadEnded ? "upload-ended" : "stopped" };
}

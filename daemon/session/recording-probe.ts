import { ALL_FORMATS, EncodedPacketSink, FilePathSource, Input, type InputTrack } from "mediabunny";
import { vp8KeyframeSize } from "./media-codecs.js";
import { AUDIO_HOLE_SEC, countFrameSize, type AudioGap, type VideoSizeRun } from "./recorder.js";

/** What a recording file itself tells, read back with mediabunny (the library that wrote it). */
export interface RecordingProbe {
  /** Our names: "vp8" | "h264" for video, "opus" for audio; null for a track the file lacks. */
  codecs: { video: string | null; audio: string | null };
  /** Frames and packets a reader gets from the file (audio counts silence the recorder filled in, too). */
  frames: { video: number; audio: number };
  /** The video track's size in the header. */
  width: number | null;
  height: number | null;
  /** Sizes in order, from the VP8 keyframes' own headers (H.264: one run at the header's size). */
  sizes: VideoSizeRun[];
  /**
   * Stretches of AUDIO_HOLE_SEC or more with no audio packet at all (`filled: false`), as the
   * recorder lists them: an outage, hold, the customer's pause. Silence the recorder filled in is
   * audio in the file and is not listed.
   */
  audioGaps: AudioGap[];
  /** End of the last packet on the file's timeline, ms. */
  durationMs: number;
}

/**
 * Reads every packet's timing (and each VP8 keyframe's size) from a WebM/Matroska recording,
 * including one a killed process left unfinished: no cues, no duration, a segment size that
 * covers only the header, a last cluster whose size was never patched. Readers stop before
 * that last cluster, so what is counted here is what ffprobe and players get from the file.
 * Throws when the file is not readable media (mediabunny's error).
 */
export async function probeRecording(path: string): Promise<RecordingProbe> {
  const input = new Input({ source: new FilePathSource(path), formats: ALL_FORMATS });
  try {
    const probe: RecordingProbe = { codecs: { video: null, audio: null }, frames: { video: 0, audio: 0 }, width: null, height: null, sizes: [], audioGaps: [], durationMs: 0 };
    let endSec = 0;
    for (const track of await input.getTracks()) {
      if (track.isVideoTrack()) {
        if (probe.codecs.video) continue; // the recorder writes one track of each kind
        probe.codecs.video = track.codec === "avc" ? "h264" : track.codec;
        probe.width = track.codedWidth;
        probe.height = track.codedHeight;
        const read = await readPackets(track, track.codec === "vp8");
        probe.frames.video = read.count;
        probe.sizes = read.sizes;
        if (track.codec !== "vp8" && read.count > 0) probe.sizes = [{ width: track.codedWidth, height: track.codedHeight, frames: read.count, fromMs: read.firstMs }];
        endSec = Math.max(endSec, read.endSec);
      } else if (track.isAudioTrack()) {
        if (probe.codecs.audio) continue;
        probe.codecs.audio = track.codec;
        const read = await readPackets(track, false);
        probe.frames.audio = read.count;
        probe.audioGaps = read.holes;
        endSec = Math.max(endSec, read.endSec);
      }
    }
    if (!probe.codecs.video && !probe.codecs.audio) throw new Error("the file holds no audio or video track");
    probe.durationMs = Math.round(endSec * 1000);
    return probe;
  } finally {
    input.dispose();
  }
}

/**
 * Counts a track's packets and finds where they end; with `vp8Sizes`, the size runs its keyframes
 * declare; `holes`: where AUDIO_HOLE_SEC or more passes between one packet's end and the next.
 */
async function readPackets(track: InputTrack, vp8Sizes: boolean): Promise<{ count: number; endSec: number; firstMs: number; sizes: VideoSizeRun[]; holes: AudioGap[] }> {
  const sizes: VideoSizeRun[] = [];
  const holes: AudioGap[] = [];
  let count = 0;
  let endSec = 0;
  let firstMs = 0;
  // Only VP8 keyframes' bytes are needed; every other packet is read as timing alone.
  for await (const packet of new EncodedPacketSink(track).packets(undefined, undefined, { metadataOnly: !vp8Sizes })) {
    if (count === 0) firstMs = Math.round(packet.timestamp * 1000);
    else if (packet.timestamp - endSec >= AUDIO_HOLE_SEC) holes.push({ fromMs: Math.round(endSec * 1000), toMs: Math.round(packet.timestamp * 1000), filled: false });
    count++;
    endSec = Math.max(endSec, packet.timestamp + packet.duration);
    if (vp8Sizes) countFrameSize(sizes, packet.type === "key" ? vp8KeyframeSize(packet.data) : null, packet.timestamp);
  }
  return { count, endSec, firstMs, sizes, holes };
}

#!/bin/sh
# Regenerates the bundled customer clip: 10 s of ffmpeg's test pattern (with its frame counter)
# as VP8 in IVF and a 440 Hz tone as Opus in Ogg, shaped like a browser's WebRTC encoders:
# 640x480 at 30 fps, a keyframe every 2 s, no hidden alt-ref frames, 20 ms Opus frames at 48 kHz.
# Usage: make-clip.sh [OUT_DIR] [VIDEO_BITRATE]   (defaults: this folder, 500k)
set -eu
out="${1:-$(dirname "$0")}"
rate="${2:-500k}"
ffmpeg -hide_banner -loglevel error -y \
  -f lavfi -i "testsrc=size=640x480:rate=30:duration=10" \
  -c:v libvpx -b:v "$rate" -minrate "$rate" -maxrate "$rate" -g 60 -keyint_min 60 \
  -auto-alt-ref 0 -lag-in-frames 0 -deadline realtime -cpu-used 8 -error-resilient 1 \
  -f ivf "$out/clip.ivf"
ffmpeg -hide_banner -loglevel error -y \
  -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=10" \
  -c:a libopus -b:a 32k -frame_duration 20 -application voip -ac 1 \
  -f ogg "$out/clip.ogg"

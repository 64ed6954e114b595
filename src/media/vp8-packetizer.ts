/** Payload bytes per RTP packet: leaves room for RTP/SRTP headers and extensions under a 1280-byte path MTU. */
export const MAX_RTP_PAYLOAD = 1100;

/**
 * Splits one VP8 frame into RTP payloads (RFC 7741): a one-byte payload descriptor with the
 * start-of-partition bit on the first packet and partition index 0. The caller sets the marker
 * bit on the last packet.
 */
export function packetizeVp8(frame: Uint8Array, maxPayload = MAX_RTP_PAYLOAD): Buffer[] {
  const chunk = maxPayload - 1;
  const payloads: Buffer[] = [];
  for (let offset = 0; offset < frame.length; offset += chunk) {
    const part = frame.subarray(offset, Math.min(offset + chunk, frame.length));
    const payload = Buffer.allocUnsafe(part.length + 1);
    payload[0] = offset === 0 ? 0x10 : 0x00;
    payload.set(part, 1);
    payloads.push(payload);
  }
  return payloads;
}

/**
 * One unmasked, unfragmented WebSocket text frame (RFC 6455 section 5.2: a server never masks)
 * holding `text` as UTF-8: header and payload in one buffer, so a message that goes to many
 * sockets is encoded and framed once and each socket gets the same bytes in one write. Lengths
 * up to 125 bytes take a 2-byte header, up to 65535 a 4-byte one, longer a 10-byte one.
 */
export function textFrame(text: string): Buffer {
  const length = Buffer.byteLength(text);
  const header = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + length);
  // FIN set, opcode 1 (text).
  frame[0] = 0x81;
  if (header === 2) frame[1] = length;
  else if (header === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  frame.write(text, header, "utf8");
  return frame;
}

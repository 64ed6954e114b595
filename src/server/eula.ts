/** The short agreement a customer accepts before anything is streamed. */
export const EULA_TEXT = [
  "By continuing you let the support technician see the live video from your camera and hear your microphone",
  "for the length of this session. You can pause or end the session at any time.",
  "If the session is recorded you are told so before it starts.",
].join(" ");

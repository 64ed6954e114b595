import { randomInt } from "node:crypto";

/** A 6-digit PIN from the CSPRNG, zero-padded so every value of the space is possible. */
export function randomPin(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, "0");
}

/** A fresh PIN not in use by any live session; `taken` asks the store. */
export async function uniquePin(taken: (pin: string) => Promise<boolean>): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const pin = randomPin();
    if (!(await taken(pin))) return pin;
  }
  // Only reachable when the live PIN space is nearly full.
  throw new Error("no free PIN found");
}

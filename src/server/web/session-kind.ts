import type { SessionType } from "../../protocol/index.js";
import { FailureLimiter } from "../auth/rate-limit.js";
import type { Services } from "../services.js";

/** Which customer page a PIN opens: its session's type, undefined when unknown, "throttled" when the caller may not ask now. */
export type PageKind = (pin: string, address: string) => Promise<SessionType | "throttled" | undefined>;

/**
 * The page for a PIN depends on its session's type (camera for Lens, screen for desktop). Looking
 * it up must not become a way around the PIN limits of the customer socket, so misses count
 * against a limiter of their own with the same budget. A blocked address is told to wait, whatever
 * the PIN: the answer says nothing about it, and no desktop customer lands on the camera page.
 */
export function pageKind(services: Services): PageKind {
  const { perAddress, windowMs } = services.limits.pins;
  const misses = new FailureLimiter(perAddress, windowMs, () => services.now().getTime());
  return async (pin, address) => {
    if (misses.blocked(address)) return "throttled";
    const type = await services.sessions.pinType(pin);
    if (type === undefined) {
      misses.prune();
      misses.fail(address);
    }
    return type;
  };
}

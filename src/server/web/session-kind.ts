import type { SessionType } from "../../protocol/index.js";
import { FailureLimiter } from "../auth/rate-limit.js";
import type { Services } from "../services.js";

/** Which customer page a PIN opens: undefined when unknown, or when the caller may not ask now. */
export type PageKind = (pin: string, address: string) => Promise<SessionType | undefined>;

/**
 * The page for a PIN depends on its session's type (camera for Lens, screen for desktop). Looking
 * it up must not become a way around the PIN limits of the customer socket, so misses count
 * against a limiter of their own with the same budget; a blocked address gets the Lens page, whose
 * socket then refuses it as well.
 */
export function pageKind(services: Services): PageKind {
  const { perAddress, windowMs } = services.limits.pins;
  const misses = new FailureLimiter(perAddress, windowMs, () => services.now().getTime());
  return async (pin, address) => {
    if (misses.blocked(address)) return undefined;
    const type = await services.sessions.pinType(pin);
    if (type === undefined) {
      misses.prune();
      misses.fail(address);
    }
    return type;
  };
}

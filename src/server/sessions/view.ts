import type { Session, SessionLinks } from "../../protocol/index.js";
import { deliveryView, type StoredDelivery } from "../delivery/status.js";
import type { SessionRow } from "../store/types.js";

export function sessionLinks(publicUrl: string, pin: string): SessionLinks {
  const base = publicUrl.replace(/\/+$/, "");
  return { desktop: `${base}/?code=${pin}`, mobile: `${base}/m/${pin}`, pinEntry: `${base}/pin` };
}

/**
 * A stored session as technicians see it. `awayUntil`: the end of the grace period of a customer
 * whose connection dropped (see SessionService.customerLeft).
 */
export function toSession(row: SessionRow, publicUrl: string, customerPaused = false, awayUntil?: string): Session {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    mode: row.mode,
    status: row.status,
    method: row.method,
    pin: row.pin,
    expiresAt: row.pin ? row.pinExpiresAt : null,
    links: row.pin ? sessionLinks(publicUrl, row.pin) : null,
    technician: row.technicianEmail,
    createdAt: row.createdAt,
    statusSince: row.statusSince,
    recordable: row.recordable,
    customer: row.customerJoined
      ? { camera: row.customerCamera, microphone: row.customerMicrophone, eulaAcceptedAt: row.eulaAcceptedAt, paused: customerPaused,
          away: row.customerAwaySince && awayUntil ? { since: row.customerAwaySince, until: awayUntil } : null,
        }
      : null,
    ...(row.delivery ? { delivery: deliveryView(JSON.parse(row.delivery) as StoredDelivery) } : {}),
    ...(row.collaborators.length > 0
      ? { collaborators: row.collaborators.map(({ id, technician, external, permissions, joinedAt }) => ({ id, technician, external, permissions, joinedAt })) }
      : {}),
  };
}

import * as z from "zod";
import {
  AddExternalTechnicianRequest,
  CollaboratorPatch,
  ExternalTechnician,
  Invitation,
  InviteRequest,
  InviteResponse,
  JoinResponse,
  LocalJoinRequest,
  RescueError,
  Session,
  TransferRequest,
} from "../../src/protocol/index.js";
import { readProfile } from "../../src/profile/config.js";
import { RestClient } from "../backend/rest.js";
import type { Daemon } from "../daemon.js";
import type { Route } from "./server.js";

const enc = encodeURIComponent;
/** How long joining waits for the scoped connection of an external technician. */
const EXTERNAL_CONNECT_WAIT_MS = 5000;

/** Collaboration and transfer routes of the local API (see protocol/collaboration.ts). */
export function collaborationRoutes(d: Daemon): Route[] {
  const rest = () => d.backend.ready();
  const upsert = (session: Session): Session => (d.sessions.upsert(session), session);

  return [
    {
      method: "POST",
      path: "/api/v1/sessions/:id/invitations",
      body: InviteRequest,
      status: 201,
      handler: async ({ params, body }) => (await rest()).call("POST", `/api/v1/sessions/${enc(params.id!)}/invitations`, InviteResponse, body),
    },
    { method: "GET", path: "/api/v1/invitations", handler: async () => (await rest()).call("GET", "/api/v1/invitations", z.array(Invitation)) },
    {
      method: "POST",
      path: "/api/v1/join",
      body: LocalJoinRequest,
      handler: async ({ body }) => {
        const { pin, server } = body as LocalJoinRequest;
        // A saved login is an organisation's technician; without one, this is an external technician's console.
        const profile = readProfile(d.paths.home);
        if (profile && (!server || sameOrigin(server, profile.server))) {
          const out = await (await rest()).call("POST", "/api/v1/invitations/join", JoinResponse, { pin });
          upsert(out.session);
          return out;
        }
        if (profile) throw new RescueError("conflict", `this console is logged in to ${profile.server}; join ${server} from another RESCUE_HOME`);
        const target = server ?? d.backend.server;
        if (!target) throw new RescueError("bad_request", "not logged in: an external technician passes --server URL (or --link)");
        return joinAsExternal(d, target, pin);
      },
    },
    {
      method: "PATCH",
      path: "/api/v1/sessions/:id/collaborators/:cid",
      body: CollaboratorPatch,
      handler: async ({ params, body }) =>
        upsert(await (await rest()).call("PATCH", `/api/v1/sessions/${enc(params.id!)}/collaborators/${enc(params.cid!)}`, Session, body)),
    },
    {
      method: "POST",
      path: "/api/v1/sessions/:id/collaborators/:cid/remove",
      handler: async ({ params }) =>
        upsert(await (await rest()).call("POST", `/api/v1/sessions/${enc(params.id!)}/collaborators/${enc(params.cid!)}/remove`, Session)),
    },
    {
      method: "GET",
      path: "/api/v1/admin/external-technicians",
      handler: async () => (await rest()).call("GET", "/api/v1/admin/external-technicians", z.array(ExternalTechnician)),
    },
    {
      method: "POST",
      path: "/api/v1/admin/external-technicians",
      body: AddExternalTechnicianRequest,
      status: 201,
      handler: async ({ body }) => (await rest()).call("POST", "/api/v1/admin/external-technicians", ExternalTechnician, body),
    },
    {
      method: "DELETE",
      path: "/api/v1/admin/external-technicians/:email",
      handler: async ({ params }) => (await rest()).call("DELETE", `/api/v1/admin/external-technicians/${enc(params.email!)}`, ExternalTechnician),
    },
    {
      method: "POST",
      path: "/api/v1/sessions/:id/transfer",
      body: TransferRequest,
      handler: async ({ params, body }) => upsert(await (await rest()).call("POST", `/api/v1/sessions/${enc(params.id!)}/transfer`, Session, body)),
    },
  ];
}

/**
 * An external technician has no account: the invitation PIN buys a token scoped to the one
 * session, held in memory only (it dies with the daemon or the session), and the daemon connects with it.
 */
async function joinAsExternal(d: Daemon, server: string, pin: string): Promise<Omit<JoinResponse, "token">> {
  const anonymous = new RestClient(server, "");
  let out: JoinResponse;
  try {
    out = await anonymous.call("POST", "/api/v1/invitations/join", JoinResponse, { pin });
  } finally {
    anonymous.close();
  }
  if (!out.token) throw new RescueError("forbidden", "this invitation is for a technician of the organisation: run rescue login first");
  d.backend.setCredentials({ server, email: out.as, token: out.token, externalSession: out.session.id });
  await Promise.race([d.backend.ready().catch(() => undefined), new Promise((r) => setTimeout(r, EXTERNAL_CONNECT_WAIT_MS))]);
  d.log.info(`joined session ${out.session.id} as external technician ${out.as}`);
  const { token: _secret, ...shown } = out;
  return shown;
}

function sameOrigin(a: string, b: string): boolean {
  return new URL(a).origin === new URL(b).origin;
}

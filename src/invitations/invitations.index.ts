import { createRouter } from "../lib/openapi";
import * as handlers from "./invitations.handlers";
import * as routes from "./invitations.routes";

/** The /v1/invitations routes; built by createApp (on the first request), not at module load. */
export function invitationsRouter() {
  return createRouter()
    .openapi(routes.createInvitation, handlers.createInvitation)
    .openapi(routes.listInvitations, handlers.listInvitations)
    .openapi(routes.getInvitation, handlers.getInvitation)
    .openapi(routes.cancelInvitation, handlers.cancelInvitation);
}

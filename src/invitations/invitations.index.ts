import { createRouter } from "../lib/openapi";
import { listAttempts, listAttemptsRoute } from "./invitations.attempts";
import * as handlers from "./invitations.handlers";
import * as routes from "./invitations.routes";
import { getStats, statsRoute } from "./invitations.stats";

export const invitationsRouter = createRouter()
  .openapi(routes.createInvitation, handlers.createInvitation)
  .openapi(routes.listInvitations, handlers.listInvitations)
  // Before {invitationId}: "stats" is not an invitation id.
  .openapi(statsRoute, getStats)
  .openapi(routes.getInvitation, handlers.getInvitation)
  .openapi(routes.cancelInvitation, handlers.cancelInvitation)
  .openapi(listAttemptsRoute, listAttempts);

import { createRouter } from "../lib/openapi";
import * as handlers from "./invitations.handlers";
import * as routes from "./invitations.routes";

export const invitationsRouter = createRouter()
  .openapi(routes.createInvitation, handlers.createInvitation)
  .openapi(routes.listInvitations, handlers.listInvitations)
  .openapi(routes.getInvitation, handlers.getInvitation)
  .openapi(routes.cancelInvitation, handlers.cancelInvitation);

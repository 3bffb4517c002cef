import { createRouter } from "../lib/openapi";
import * as handlers from "./branding.handlers";
import * as routes from "./branding.routes";

/** The partner's brand on the invite page: the API (under /v1) and the logos it serves. */
export const brandingRouter = createRouter()
  .openapi(routes.getBranding, handlers.getBranding)
  .openapi(routes.putBranding, handlers.putBranding)
  .openapi(routes.putLogo, handlers.putLogo)
  .openapi(routes.deleteLogo, handlers.deleteLogo)
  .openapi(routes.getLogo, handlers.getLogo);

import type { Context } from "hono";
import type { KeyMode } from "../db/schema";
import type { AppEnv } from "../lib/context";

/**
 * What a partner API request may reach: its key's project, in its key's mode. Test and live are
 * two worlds: every query of the partner API filters on both, so another mode's row is a 404
 * exactly as another project's.
 */
export interface Tenant {
  projectId: string;
  mode: KeyMode;
}

export const tenantOf = (c: Context<AppEnv>): Tenant => ({
  projectId: c.get("projectId"),
  mode: c.get("keyMode"),
});

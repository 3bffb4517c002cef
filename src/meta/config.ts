import type { InvitationRow } from "../db/schema";

/** Graph API version used when META_GRAPH_VERSION is empty (Meta's current one, 2026). */
export const DEFAULT_GRAPH_VERSION = "v23.0";
export const DEFAULT_GRAPH_URL = "https://graph.facebook.com";
/** Origin of Meta's OAuth dialog (Facebook Login for Business), for the full-page redirect. */
export const DEFAULT_DIALOG_URL = "https://www.facebook.com";

/** The Meta app this Worker is (vars and the secret META_APP_SECRET; see docs/onboarding.md, "Meta app setup (live mode)"). */
export interface MetaConfig {
  /** Empty: Meta is not configured, and every invitation is in test mode. */
  appId: string;
  /** Embedded Signup configuration (WhatsApp). */
  configId: string;
  /** Facebook Login for Business configuration (Pages, Messenger). */
  messengerConfigId: string;
  /** Graph API origin without a trailing slash, e.g. `https://graph.facebook.com`. */
  graphUrl: string;
  /** e.g. `v23.0`. */
  graphVersion: string;
  /** Origin of the OAuth dialog without a trailing slash (`{dialogUrl}/{graphVersion}/dialog/oauth`). */
  dialogUrl: string;
}

export function metaConfig(env: Env): MetaConfig {
  return {
    appId: env.META_APP_ID?.trim() ?? "",
    configId: env.META_CONFIG_ID?.trim() ?? "",
    messengerConfigId: env.META_MESSENGER_CONFIG_ID?.trim() ?? "",
    graphUrl: (env.META_GRAPH_URL?.trim() || DEFAULT_GRAPH_URL).replace(/\/+$/, ""),
    graphVersion: env.META_GRAPH_VERSION?.trim() || DEFAULT_GRAPH_VERSION,
    dialogUrl: (env.META_DIALOG_URL?.trim() || DEFAULT_DIALOG_URL).replace(/\/+$/, ""),
  };
}

/** The app secret; only live-mode code exchanges read it. */
export function metaAppSecret(env: Env): string {
  const secret = env.META_APP_SECRET;
  if (!secret) throw new Error("META_APP_SECRET is not set (wrangler secret put META_APP_SECRET)");
  return secret;
}

/**
 * Whether this Worker is a developer's own (`ENVIRONMENT = "local"`, wrangler.toml's top level).
 * A missing or other value (`staging`, `production`) is a deployed Worker.
 */
export function isLocalWorker(env: Env): boolean {
  return env.ENVIRONMENT?.trim() === "local";
}

/**
 * A live invitation on a deployed Worker that has no Meta app: it is refused (never simulated),
 * so a manual deploy or a dashboard edit that empties META_APP_ID cannot fake a real connection.
 */
export function isMetaMissing(env: Env, invitation: Pick<InvitationRow, "mode">): boolean {
  return invitation.mode !== "test" && metaConfig(env).appId === "" && !isLocalWorker(env);
}

/**
 * Test mode: the built-in fake of Meta (src/meta/fake.ts) instead of the real one. Invitations
 * created with a test key (`zv_test_…`) are; so is every invitation of a local Worker
 * (ENVIRONMENT `local`) while META_APP_ID is empty (local development). A deployed Worker without
 * a Meta app refuses live invitations instead (isMetaMissing). A test invitation never reaches
 * real Meta, and a live one never reaches the fake.
 */
export function isTestMode(env: Env, invitation: Pick<InvitationRow, "mode">): boolean {
  if (invitation.mode === "test") return true;
  return metaConfig(env).appId === "" && isLocalWorker(env);
}

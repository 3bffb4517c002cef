import { checkKeyring } from "./crypto";

/** Settings read from the Worker's vars and secrets (see README, "Configuration"). */
export interface Config {
  tokenHashKey: string;
  encryptionKeys: string;
  /** Base that the invitation token is appended to, ending in "/". */
  inviteBaseUrl: string;
}

function required(env: Env, name: "TOKEN_HASH_KEY" | "ENCRYPTION_KEYS"): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set (wrangler secret put ${name})`);
  return value;
}

/**
 * ENCRYPTION_KEYS, checked: a malformed keyring (a duplicate id, a bad id, a key not 32 bytes)
 * throws KeyringError, so nothing is sealed with a key that decryption would not pick.
 */
export function encryptionKeysOf(env: Env): string {
  const keys = required(env, "ENCRYPTION_KEYS");
  checkKeyring(keys);
  return keys;
}

export function readConfig(env: Env, requestUrl: string): Config {
  const base = env.INVITE_BASE_URL || `${new URL(requestUrl).origin}/invite/`;
  return {
    tokenHashKey: required(env, "TOKEN_HASH_KEY"),
    encryptionKeys: encryptionKeysOf(env),
    inviteBaseUrl: base.endsWith("/") ? base : `${base}/`,
  };
}

/** Open invitations (pending, in_progress, failed) one project may hold per mode by default. */
export const DEFAULT_MAX_OPEN_INVITATIONS = 10_000;

/** Var MAX_OPEN_INVITATIONS (docs/operations.md): a positive integer, else the default. */
export function maxOpenInvitations(env: Env): number {
  const n = Number(env.MAX_OPEN_INVITATIONS);
  return Number.isSafeInteger(n) && n > 0 ? n : DEFAULT_MAX_OPEN_INVITATIONS;
}

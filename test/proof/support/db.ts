// Direct reads (and, for arranging states, writes) of the local D1 the Worker uses.

export type { EventDbRow, InvitationDbRow } from "../../support/db";
export {
  countInvitations as invitationCount,
  eventsOf,
  findInvitationRow as invitationRow,
  setExpiresAt,
  setStatus,
} from "../../support/db";

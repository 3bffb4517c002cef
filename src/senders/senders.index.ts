import type { RouteConfig, RouteHandler } from "@hono/zod-openapi";
import type { SenderRow } from "../db/schema";
import { paginate } from "../invitations/cursor";
import { readConfig } from "../lib/config";
import type { AppEnv } from "../lib/context";
import { ApiError } from "../lib/errors";
import { logEvent } from "../lib/log";
import { createRouter } from "../lib/openapi";
import type { Graph } from "../meta/graph";
import { tenantOf } from "../projects/tenant";
import { webhookSettings } from "../webhooks/settings";
import { fetchPicture } from "./picture";
import { accessGone, apiErrorFromGraph, metaOf, requireWhatsapp } from "./senders.meta";
import {
  deleteSender,
  findSender,
  listSendersQuery,
  markDeleting,
  sharedAccount,
  unmarkDeleting,
  updateSender,
} from "./senders.repository";
import * as routes from "./senders.routes";
import { refusedUpdateFields, serializeSender } from "./senders.schemas";
import { markIfTokenInvalid } from "./status";
import { claimSync, releaseSync, type SyncKind, syncStatusOf, syncWindowEnd } from "./sync";

type Handler<R extends RouteConfig> = RouteHandler<R, AppEnv>;

const getSender: Handler<typeof routes.getSender> = async (c) => {
  const row = await findSender(c.get("db"), tenantOf(c), c.req.valid("param").senderId);
  // Also for another project's sender: its existence is not revealed.
  if (!row) throw new ApiError("not_found", "No sender with this id");
  return c.json(serializeSender(row), 200);
};

const listSenders: Handler<typeof routes.listSenders> = async (c) => {
  const { tokenHashKey } = readConfig(c.env, c.req.url);
  const tenant = tenantOf(c);
  const { page, nextCursor } = await paginate(
    tokenHashKey,
    tenant,
    "senders",
    c.req.valid("query"),
    (after, limit) => listSendersQuery(c.get("db"), { ...tenant, after, limit }),
  );
  return c.json({ items: page.map(serializeSender), nextCursor }, 200);
};

const notFound = () => new ApiError("not_found", "No sender with this id");

const update: Handler<typeof routes.updateSender> = async (c) => {
  const tenant = tenantOf(c);
  const id = c.req.valid("param").senderId;
  const body = c.req.valid("json");
  const refused = refusedUpdateFields(body);
  if (Object.keys(refused).length > 0) {
    const list = Object.entries(refused).map(([field, why]) => `${field} (${why})`);
    throw new ApiError(
      "invalid_request",
      `Only name and setAsDefault can be changed here; refused: ${list.join("; ")}`,
      { details: { fields: refused } },
    );
  }
  const row = await findSender(c.get("db"), tenant, id);
  if (!row) throw notFound();
  if (body.setAsDefault === false && row.isDefault) {
    throw new ApiError(
      "invalid_request",
      "This sender is the project's default, and a project with senders always has one: set another sender as default instead",
      { details: { fields: { setAsDefault: "Set another sender as default instead" } } },
    );
  }
  // Nothing to change (`{}`, or setAsDefault false on a non-default): answered as is, untouched.
  if (body.name === undefined && body.setAsDefault !== true) return c.json(serializeSender(row), 200);
  const updated = await updateSender(
    c.get("db"),
    tenant,
    id,
    { customName: body.name, setAsDefault: body.setAsDefault === true },
    c.get("now")(),
  );
  if (!updated) throw notFound();
  return c.json(serializeSender(updated), 200);
};

/**
 * Stops this app's access, then forgets the sender. Access already gone (revoked token) is no
 * reason to keep it; Meta unreachable is: nothing is deleted and a retry finishes the job.
 */
const remove: Handler<typeof routes.deleteSender> = async (c) => {
  const tenant = tenantOf(c);
  const id = c.req.valid("param").senderId;
  const db = c.get("db");
  const row = await findSender(db, tenant, id);
  if (!row) throw notFound();
  const now = c.get("now")();
  await markDeleting(db, id, now);
  if (!(await sharedAccount(db, row, now))) {
    const { graph, token } = await metaOf(c, row);
    try {
      if (row.channel === "messenger") await graph.unsubscribePage(token, row.providerAccountId);
      else if (row.wabaId) await graph.unsubscribeWaba(token, row.wabaId);
    } catch (error) {
      if (!accessGone(error)) {
        await unmarkDeleting(db, id);
        throw apiErrorFromGraph(error);
      }
      logEvent("info", "sender_access_already_gone", { requestId: c.get("requestId"), senderId: row.id });
    }
  }
  if (!(await deleteSender(db, tenant, id, c.get("now")()))) throw notFound();
  return c.json({ id, deleted: true as const }, 200);
};

type AnyContext = Parameters<Handler<typeof routes.getSenderProfile>>[0];

/** A Graph failure for `row`: a 190 marks it reauthorization_required, then the API's error. */
async function graphFailure(c: AnyContext, row: SenderRow, error: unknown): Promise<unknown> {
  await markIfTokenInvalid(c.get("db"), row, error, c.get("now")());
  return apiErrorFromGraph(error);
}

/** The tenant's WhatsApp sender, or the 404 / 400 that stops before Meta is called. */
async function whatsappSender(c: AnyContext, id: string, what?: string) {
  const row = await findSender(c.get("db"), tenantOf(c), id);
  if (!row) throw notFound();
  requireWhatsapp(row, what);
  return row;
}

const getProfile: Handler<typeof routes.getSenderProfile> = async (c) => {
  const row = await whatsappSender(c, c.req.valid("param").senderId);
  const { graph, token } = await metaOf(c, row);
  try {
    return c.json({ profile: await graph.businessProfile(token, row.providerAccountId) }, 200);
  } catch (error) {
    throw await graphFailure(c, row, error);
  }
};

const updateProfile: Handler<typeof routes.updateSenderProfile> = async (c) => {
  const changes = c.req.valid("json");
  const row = await whatsappSender(c, c.req.valid("param").senderId);
  const { graph, token } = await metaOf(c, row);
  try {
    await graph.updateBusinessProfile(token, row.providerAccountId, changes);
    return c.json({ success: true, profile: await graph.businessProfile(token, row.providerAccountId) }, 200);
  } catch (error) {
    throw await graphFailure(c, row, error);
  }
};

const uploadProfilePicture: Handler<typeof routes.uploadSenderProfilePicture> = async (c) => {
  const { imageUrl, mimeType } = c.req.valid("json");
  const row = await whatsappSender(c, c.req.valid("param").senderId);
  const bytes = await fetchPicture(imageUrl, mimeType, { allowLocal: webhookSettings(c.env).allowLocalUrls });
  const { graph, token } = await metaOf(c, row);
  try {
    const handle = await graph.uploadFile(token, bytes, mimeType);
    await graph.updateBusinessProfile(token, row.providerAccountId, { profilePictureHandle: handle });
    return c.json({ success: true, profile: await graph.businessProfile(token, row.providerAccountId) }, 200);
  } catch (error) {
    throw await graphFailure(c, row, error);
  }
};

const SYNC_ONLY = "the WhatsApp Business app syncs exist";

/** Whether Meta reports the number on the WhatsApp Business app too (coexistence). */
async function readCoexistence(
  c: AnyContext,
  row: SenderRow,
): Promise<{ graph: Graph; token: string; is: boolean }> {
  const { graph, token } = await metaOf(c, row);
  try {
    const number = await graph.phoneNumber(token, row.providerAccountId);
    return { graph, token, is: number.isOnBizApp };
  } catch (error) {
    throw await graphFailure(c, row, error);
  }
}

const getWhatsappSync: Handler<typeof routes.getWhatsappSync> = async (c) => {
  const row = await whatsappSender(c, c.req.valid("param").senderId, SYNC_ONLY);
  const { is } = await readCoexistence(c, row);
  return c.json({ sync: syncStatusOf(row, is, c.get("now")()) }, 200);
};

const SYNC_TYPE = { contacts: "smb_app_state_sync", history: "history" } as const;

async function startSync(c: AnyContext, id: string, kind: SyncKind) {
  const db = c.get("db");
  const now = c.get("now")();
  const row = await whatsappSender(c, id, SYNC_ONLY);
  if (row.status !== "active") {
    throw new ApiError("invalid_state", `The sender is ${row.status}: a sync needs an active sender`, {
      details: { status: row.status },
    });
  }
  const closesAt = syncWindowEnd(row);
  if (now >= closesAt) {
    throw new ApiError(
      "invalid_state",
      `Meta takes sync requests only within 24 hours of the connection; this window closed at ${new Date(closesAt).toISOString()}. Connecting the number again (a new invitation) opens a new one`,
      { details: { windowClosedAt: new Date(closesAt).toISOString() } },
    );
  }
  const { graph, token, is } = await readCoexistence(c, row);
  if (!is) {
    throw new ApiError(
      "invalid_request",
      "This number is not on the WhatsApp Business app (coexistence): it has no app contacts or history to sync",
    );
  }
  const claimed = await claimSync(db, row.id, kind, now);
  if (!claimed) {
    throw new ApiError(
      "invalid_state",
      `The ${kind} sync was already requested for this sender (Meta takes it once)`,
    );
  }
  try {
    await graph.smbAppData(token, row.providerAccountId, SYNC_TYPE[kind]);
  } catch (error) {
    await releaseSync(db, row.id, kind);
    throw await graphFailure(c, row, error);
  }
  return syncStatusOf(claimed, true, now);
}

const startContactsSync: Handler<typeof routes.startContactsSync> = async (c) => {
  const sync = await startSync(c, c.req.valid("param").senderId, "contacts");
  return c.json({ message: "Contacts sync initiated", sync }, 200);
};

const startHistorySync: Handler<typeof routes.startHistorySync> = async (c) => {
  const sync = await startSync(c, c.req.valid("param").senderId, "history");
  return c.json({ message: "History sync initiated", sync }, 200);
};

export const sendersRouter = createRouter()
  .openapi(routes.getWhatsappSync, getWhatsappSync)
  .openapi(routes.startContactsSync, startContactsSync)
  .openapi(routes.startHistorySync, startHistorySync)
  .openapi(routes.getSenderProfile, getProfile)
  .openapi(routes.updateSenderProfile, updateProfile)
  .openapi(routes.uploadSenderProfilePicture, uploadProfilePicture)
  .openapi(routes.updateSender, update)
  .openapi(routes.deleteSender, remove)
  .openapi(routes.listSenders, listSenders)
  .openapi(routes.getSender, getSender);

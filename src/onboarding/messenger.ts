import { decryptSecret, encryptSecret } from "../lib/crypto";
import type { GraphPage } from "../meta/graph";
import { type Flow, failure, type Outcome, outcomeOf } from "./flow";
import { graphFor } from "./meta-client";

/**
 * Page connect, in two calls: `pages` exchanges the code and keeps the client's Pages with
 * their Page tokens sealed on the attempt (they never leave the server); `complete { pageId }`
 * subscribes the chosen Page to the app's webhooks with its Page token and makes the sender.
 */

export type PagesResult = { ok: true; pages: GraphPage[] } | { ok: false; outcome: Outcome };

/** Exchanges the code (the caller holds the attempt's exchange claim) and reads the Pages. */
export async function fetchPages(flow: Flow, code: string, redirectUri?: string): Promise<PagesResult> {
  let step = "graph_client";
  try {
    const graph = graphFor(flow.env, flow.found.invitation, flow.meta, flow.requestId);
    step = "exchange_code";
    const shortLived = await graph.exchangeCode(code, redirectUri);
    // Page tokens read with a long-lived user token do not expire.
    step = "long_lived_token";
    const userToken = await graph.longLivedUserToken(shortLived);
    step = "pages";
    const pages = await graph.pages(userToken);
    if (pages.length === 0) {
      return {
        ok: false,
        outcome: failure("meta_no_pages", step, "The client administers no Facebook Page"),
      };
    }
    return { ok: true, pages };
  } catch (error) {
    return { ok: false, outcome: outcomeOf(error, flow, step) };
  }
}

export function sealPages(flow: Flow, pages: GraphPage[]): Promise<string> {
  return encryptSecret(flow.encryptionKeys, JSON.stringify(pages), "onboarding_attempts.pages_ciphertext");
}

export async function openPages(flow: Flow, sealed: string): Promise<GraphPage[]> {
  return JSON.parse(
    await decryptSecret(flow.encryptionKeys, sealed, "onboarding_attempts.pages_ciphertext"),
  ) as GraphPage[];
}

/** Subscribes the Page (its own token) and describes the sender. */
export async function connectPage(flow: Flow, page: GraphPage): Promise<Outcome> {
  const invitation = flow.found.invitation;
  try {
    const graph = graphFor(flow.env, invitation, flow.meta, flow.requestId);
    await graph.subscribePage(page.accessToken, page.id);
    return {
      ok: true,
      account: { id: page.id, channel: "messenger", name: page.name },
      sender: {
        projectId: invitation.projectId,
        channel: "messenger",
        providerAccountId: page.id,
        wabaId: null,
        businessId: null,
        wabaFunded: null,
        phoneNumber: null,
        displayPhoneNumber: null,
        name: page.name,
        mode: invitation.mode,
        invitationId: invitation.id,
        accessTokenCiphertext: await encryptSecret(
          flow.encryptionKeys,
          page.accessToken,
          "senders.access_token_ciphertext",
        ),
        registeredAt: null,
      },
    };
  } catch (error) {
    return outcomeOf(error, flow, "subscribe_page");
  }
}

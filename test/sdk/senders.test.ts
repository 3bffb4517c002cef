import { exports } from "cloudflare:workers";
import Zavudev, { NotFoundError } from "@zavudev/sdk";
import { describe, expect, it } from "vitest";
import { connect } from "../senders/support";
import { BASE, createProject } from "../support/api";

/** The official client, configured as a partner would, into the Worker under test. */
function client(apiKey: string): Zavudev {
  return new Zavudev({
    apiKey,
    baseURL: BASE,
    maxRetries: 0,
    fetch: (input, init) => exports.default.fetch(new Request(input, init)),
  });
}

describe("@zavudev/sdk 0.57.0: the senders an invitation makes", () => {
  it("invitations.retrieve shows completed with senderId and connectedAccount; senders.retrieve reads the sender", async () => {
    const { apiKey } = await createProject();
    const zavu = client(apiKey);
    const { invitationId } = await connect(apiKey, { number: "+14155550142" });
    const { invitation } = await zavu.invitations.retrieve(invitationId);
    expect(invitation.status).toBe("completed");
    expect(invitation.senderId).toMatch(/^snd_/);
    expect(invitation.connectedAccount).toEqual({
      id: "300014155550142",
      channel: "whatsapp",
      name: "Test Business",
    });
    expect(invitation.completedAt).toEqual(expect.any(String));

    const sender = await zavu.senders.retrieve(String(invitation.senderId));
    expect(sender).toEqual({
      id: invitation.senderId,
      name: "Test Business",
      phoneNumber: "+14155550142",
      channels: ["whatsapp"],
      isDefault: true,
      status: "active",
      statusChangedAt: invitation.completedAt,
      whatsapp: {
        displayPhoneNumber: "+1 415-555-0142",
        phoneNumberId: "300014155550142",
        qualityRating: null,
        messagingLimitTier: null,
        nameStatus: null,
        paymentStatus: { setupStatus: "COMPLETE", methodStatus: "VALID", canSendTemplates: true },
      },
      createdAt: invitation.completedAt,
      updatedAt: invitation.completedAt,
    });
  });

  it("senders.retrieve: whatsapp.paymentStatus NOT_STARTED/NONE/false for a WABA without funding; none on a Page", async () => {
    const { apiKey } = await createProject();
    const zavu = client(apiKey);
    const { invitationId } = await connect(apiKey, { scenario: "no_funding" });
    const { invitation } = await zavu.invitations.retrieve(invitationId);
    const sender = await zavu.senders.retrieve(String(invitation.senderId));
    const payment: Zavudev.Senders.Sender.Whatsapp.PaymentStatus | undefined = sender.whatsapp?.paymentStatus;
    expect(payment).toEqual({ setupStatus: "NOT_STARTED", methodStatus: "NONE", canSendTemplates: false });

    const page = await connect(apiKey, { messenger: true });
    const { invitation: pageInvitation } = await zavu.invitations.retrieve(page.invitationId);
    const pageSender = await zavu.senders.retrieve(String(pageInvitation.senderId));
    expect(pageSender.channels).toEqual(["messenger"]);
    expect(pageSender.whatsapp).toBeUndefined();
  });

  it("senders.list auto-paginates over every sender, newest first; another project's sender is NotFoundError", async () => {
    const { apiKey } = await createProject();
    const zavu = client(apiKey);
    await connect(apiKey, { number: "+14155550151" });
    await connect(apiKey, { messenger: true });
    await connect(apiKey, { number: "+14155550152" });
    const seen: string[] = [];
    for await (const sender of zavu.senders.list({ limit: 1 }))
      seen.push(`${sender.channels?.join()}:${sender.phoneNumber}`);
    expect(seen).toEqual(["whatsapp:+14155550152", "messenger:", "whatsapp:+14155550151"]);

    const page = await zavu.senders.list({ limit: 2 });
    expect(page.items).toHaveLength(2);
    expect(page.hasNextPage()).toBe(true);

    const other = client((await createProject()).apiKey);
    const [first] = page.items;
    await expect(other.senders.retrieve(String(first?.id))).rejects.toBeInstanceOf(NotFoundError);
  });
});

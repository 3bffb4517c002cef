import { beforeAll, describe, expect, it } from "vitest";
import { FAILURE_REASON_MEANINGS, FAILURE_REASONS } from "../../src/invitations/lifecycle";
import { call } from "../support/api";

// The client's onboarding operations, as /openapi.json documents them: the senders in the shape of
// `@zavudev/sdk` 0.57.0's `Sender`, the invite link's flow endpoints, and the failure reasons.

// biome-ignore lint/suspicious/noExplicitAny: walking a parsed JSON document whose shape each test asserts
type Json = Record<string, any>;
let doc: Json;

beforeAll(async () => {
  doc = (await (await call("/openapi.json")).json()) as Json;
});

const CONTRACT_REASONS = [
  "fb_cancelled",
  "fb_not_authorized",
  "signup_abandoned",
  "meta_no_pages",
  "internal_error",
];

describe("GET /openapi.json: senders and the invite flow", () => {
  it("Sender has the SDK's fields for a connected number or Page, and no secret", () => {
    const sender = doc.components.schemas.Sender;
    expect(Object.keys(sender.properties).sort()).toEqual(
      [
        "channels",
        "createdAt",
        "id",
        "isDefault",
        "name",
        "phoneNumber",
        "status",
        "statusChangedAt",
        "updatedAt",
        "whatsapp",
      ].sort(),
    );
    expect(sender.required.sort()).toEqual(
      [
        "channels",
        "createdAt",
        "id",
        "isDefault",
        "name",
        "phoneNumber",
        "status",
        "statusChangedAt",
        "updatedAt",
      ].sort(),
    );
    expect(Object.keys(sender.properties.whatsapp.properties).sort()).toEqual([
      "displayPhoneNumber",
      "messagingLimitTier",
      "nameStatus",
      "paymentStatus",
      "phoneNumberId",
      "qualityRating",
    ]);
    // Optional, as the SDK's `paymentStatus?`: absent when not known.
    expect(sender.properties.whatsapp.required.sort()).toEqual([
      "displayPhoneNumber",
      "messagingLimitTier",
      "nameStatus",
      "phoneNumberId",
      "qualityRating",
    ]);
    const payment = sender.properties.whatsapp.properties.paymentStatus;
    expect(Object.keys(payment.properties).sort()).toEqual([
      "canSendTemplates",
      "methodStatus",
      "setupStatus",
    ]);
    expect(payment.description).toContain("primary_funding_id");
    expect(sender.properties.phoneNumber.description).toContain("empty string");
  });

  it("GET /v1/senders/{senderId} answers the Sender itself; GET /v1/senders is a cursor list", () => {
    const get = doc.paths["/v1/senders/{senderId}"].get;
    expect(get.operationId).toBe("getSender");
    expect(get.responses["200"].content["application/json"].schema.$ref).toBe("#/components/schemas/Sender");
    expect(Object.keys(get.responses).sort()).toEqual(["200", "401", "404", "429"]);
    const list = doc.paths["/v1/senders"].get;
    expect(list.responses["200"].content["application/json"].schema.$ref).toBe(
      "#/components/schemas/SenderList",
    );
    const page = doc.components.schemas.SenderList;
    expect(page.properties.items.items.$ref).toBe("#/components/schemas/Sender");
    expect(page.properties.nextCursor).toMatchObject({ type: "string", nullable: true });
    expect(list.parameters.map((p: Json) => p.name).sort()).toEqual(["cursor", "limit"]);
  });

  it("each flow endpoint declares its body, its 200 and every error it gives", () => {
    for (const step of ["start", "complete", "pages", "fail"]) {
      const operation = doc.paths[`/invite/{token}/${step}`].post;
      expect(Object.keys(operation.responses).sort(), step).toEqual([
        "200",
        "400",
        "401",
        "404",
        "410",
        "413",
        "415",
        "429",
      ]);
      expect(operation.requestBody.content["application/json"].schema, step).toBeDefined();
      expect(
        operation.parameters.map((p: Json) => p.name),
        step,
      ).toEqual(["token", "x-attempt-secret"]);
      // The attempt's secret: a header, never required by the validator (a 401 says why).
      const header = operation.parameters.find((p: Json) => p.name === "x-attempt-secret");
      expect(header, step).toMatchObject({ in: "header", required: false });
    }
    expect(
      doc.paths["/invite/{token}/start"].post.responses["200"].content["application/json"].schema.$ref,
    ).toBe("#/components/schemas/InviteStart");
    expect(doc.components.schemas.InviteStart.required).toEqual(["invitation", "attemptSecret"]);
    const fail = doc.components.schemas.InviteFailRequest;
    expect(fail.properties.reason.enum.sort()).toEqual(
      ["fb_cancelled", "fb_not_authorized", "internal_error", "signup_abandoned"].sort(),
    );
  });

  it("failureReason: every code documented on Invitation and enumerated on the client's view, the contract's five kept", () => {
    const description: string = doc.components.schemas.Invitation.properties.failureReason.description;
    for (const reason of FAILURE_REASONS) expect(description).toContain(`\`${reason}\``);
    for (const reason of CONTRACT_REASONS) expect(FAILURE_REASONS).toContain(reason);
    // The contract's type is a plain string: the enum lives on the client's view only.
    expect(doc.components.schemas.Invitation.properties.failureReason.enum).toBeUndefined();
    const view = doc.components.schemas.InviteInvitation.properties.failureReason;
    expect(view.nullable).toBe(true);
    expect(view.enum.filter((v: unknown) => v !== null).sort()).toEqual(
      Object.keys(FAILURE_REASON_MEANINGS).sort(),
    );
  });
});

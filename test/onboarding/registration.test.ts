import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { onboardingAttempts } from "../../src/db/schema";
import { decryptSecret } from "../../src/lib/crypto";
import { createFakeMeta, type FakeMeta } from "../../src/meta/fake";
import { findPin } from "../../src/onboarding/pins";
import { createProject } from "../support/api";
import { code, harness, newInvitation, row, sendersOf } from "./support";

const ENCRYPTION_KEYS = env.ENCRYPTION_KEYS;

/** A number of its own per test (the fake's `number_<digits>` scenario), and its Meta id. */
function freshNumber() {
  const digits = `1415${Math.floor(1_000_000 + Math.random() * 8_999_999)}`;
  return { scenario: `number_${digits}`, id: `3${digits.padStart(14, "0")}` };
}

async function attemptsOf(invitationId: string) {
  return createDb(env.DB)
    .select()
    .from(onboardingAttempts)
    .where(eq(onboardingAttempts.invitationId, invitationId));
}

describe("a number's registration PIN is never lost", () => {
  it("the fake is faithful: a register with another PIN than the number's two-step PIN is 133005 (meta_register_failed)", async () => {
    const number = freshNumber();
    const h = harness();
    h.fake.setTwoStepPin(number.id, "111111");
    h.fake.deregister(number.id);
    const project = await createProject();
    const inv = await newInvitation(project.apiKey);
    await h.ok(inv.token, "start", {});
    const done = await h.ok(inv.token, "complete", { code: code(number.scenario), event: "FINISH" });
    expect(done.invitation).toMatchObject({ status: "failed", failureReason: "meta_register_failed" });
    const [attempt] = await attemptsOf(inv.id);
    expect(attempt?.failureDetail).toContain("(code 133005)");
    // The PIN it tried is the stored one, and it is not the number's.
    const stored = await findPin(createDb(env.DB), number.id);
    const pin = await decryptSecret(
      ENCRYPTION_KEYS,
      stored?.pinCiphertext ?? "",
      "phone_number_pins.pin_ciphertext",
    );
    expect(h.fake.registerPins(number.id)).toEqual([pin]);
    expect(pin).not.toBe("111111");
  });

  it("a cancel while register is in flight, then an invitation for the same number in another project: Meta sees one PIN; the second attempt skips register (already_registered)", async () => {
    const number = freshNumber();
    const fake = createFakeMeta();
    const first = await createProject("First partner");
    const inv = await newInvitation(first.apiKey);
    let cancelled = 0;
    // The partner cancels while Meta is applying the register: Meta applies it, the batch
    // that would have made the sender is skipped.
    const cancelling: FakeMeta = {
      ...fake,
      fetch: async (request) => {
        if (new URL(request.url).pathname.endsWith("/register")) {
          const res = await h.call(`/v1/invitations/${inv.id}/cancel`, {
            method: "POST",
            apiKey: first.apiKey,
          });
          expect(res.status).toBe(200);
          cancelled += 1;
        }
        return fake.fetch(request);
      },
    };
    const h = harness({ fake: cancelling });
    await h.ok(inv.token, "start", {});
    const lost = await h.post(inv.token, "complete", { code: code(number.scenario), event: "FINISH" });
    expect(cancelled).toBe(1);
    expect(lost.status).toBe(410);
    expect((await row(inv.id)).status).toBe("cancelled");
    expect(await sendersOf(first.projectId)).toEqual([]);
    const pin = fake.registeredPin(number.id);
    expect(pin).toMatch(/^\d{6}$/);
    const [lostAttempt] = await attemptsOf(inv.id);
    expect(lostAttempt).toMatchObject({ outcome: "failed", registration: "registered" });

    // Another project connects the same number: Meta reports it registered (CLOUD_API,
    // CONNECTED) and its PIN is stored, so register is not called again.
    const second = await createProject("Second partner");
    const other = await newInvitation(second.apiKey);
    const h2 = harness({ fake });
    await h2.ok(other.token, "start", {});
    const done = await h2.ok(other.token, "complete", { code: code(number.scenario), event: "FINISH" });
    expect(done.invitation.status).toBe("completed");
    expect(fake.registerPins(number.id)).toEqual([pin]);
    const [attempt] = await attemptsOf(other.id);
    expect(attempt).toMatchObject({ outcome: "completed", registration: "already_registered" });
    const [sender] = await sendersOf(second.projectId);
    expect(sender?.registeredAt).not.toBeNull();

    // Off the Cloud API since (deregistered): a third project registers it again, with the
    // same PIN both times, and Meta accepts it.
    fake.deregister(number.id);
    const third = await createProject("Third partner");
    const again = await newInvitation(third.apiKey);
    const h3 = harness({ fake });
    await h3.ok(again.token, "start", {});
    const redone = await h3.ok(again.token, "complete", { code: code(number.scenario), event: "FINISH" });
    expect(redone.invitation.status).toBe("completed");
    expect(fake.registerPins(number.id)).toEqual([pin, pin]);
    expect((await attemptsOf(again.id))[0]).toMatchObject({ registration: "registered" });
  });

  it("the attempt records registered for a new number and not_needed for coexistence or a WABA-only finish", async () => {
    const project = await createProject();
    const cases = [
      { scenario: freshNumber().scenario, event: "FINISH", expected: "registered" },
      { scenario: "coexistence", event: "FINISH_WHATSAPP_BUSINESS_APP_ONBOARDING", expected: "not_needed" },
      { scenario: freshNumber().scenario, event: "FINISH_ONLY_WABA", expected: "not_needed" },
    ] as const;
    const seen: string[] = [];
    for (const { scenario, event } of cases) {
      const h = harness();
      const inv = await newInvitation(project.apiKey);
      await h.ok(inv.token, "start", {});
      expect((await h.ok(inv.token, "complete", { code: code(scenario), event })).invitation.status).toBe(
        "completed",
      );
      seen.push(String((await attemptsOf(inv.id))[0]?.registration));
    }
    expect(seen).toEqual(cases.map((c) => c.expected));
  });
});

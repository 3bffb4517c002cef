import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { senders } from "../../src/db/schema";
import { serializeSender } from "../../src/senders/senders.schemas";

// drizzle/0014_sender_payment.sql on data of the old shape: a sender connected before it keeps
// everything, its WABA's funding unknown, so the API answers no paymentStatus for it.

const db = env.MIGRATION_DB;

describe("migration 0014 on data of the old shape", () => {
  it("an existing sender gets waba_funded null and no whatsapp.paymentStatus; a new row can record either", async () => {
    const index = env.TEST_MIGRATIONS.findIndex((m) => m.name.startsWith("0014"));
    expect(env.TEST_MIGRATIONS[index]?.name).toBe("0014_sender_payment.sql");
    await applyD1Migrations(db, env.TEST_MIGRATIONS.slice(0, index));
    await db.batch([
      db.prepare("INSERT INTO projects (id, name, created_at) VALUES ('prj_m14', 'P', 1)"),
      db.prepare(
        `INSERT INTO senders (id, project_id, channel, provider_account_id, waba_id, phone_number, display_phone_number, name, mode, invitation_id, access_token_ciphertext, created_at, updated_at)
         VALUES ('snd_m14', 'prj_m14', 'whatsapp', '111', '222', '+14155550100', '+1 415-555-0100', 'N', 'live', 'inv_m14', 't', 100, 150)`,
      ),
    ]);

    await applyD1Migrations(db, env.TEST_MIGRATIONS);

    const [row] = await createDb(db).select().from(senders).where(eq(senders.id, "snd_m14"));
    if (!row) throw new Error("sender lost");
    expect([row.wabaFunded, row.providerAccountId, row.wabaId, row.accessTokenCiphertext]).toEqual([
      null,
      "111",
      "222",
      "t",
    ]);
    expect(serializeSender(row).whatsapp).toEqual({
      displayPhoneNumber: "+1 415-555-0100",
      phoneNumberId: "111",
      qualityRating: null,
      messagingLimitTier: null,
      nameStatus: null,
    });
    await db.prepare("UPDATE senders SET waba_funded = 0 WHERE id = 'snd_m14'").run();
    const [after] = await createDb(db).select().from(senders).where(eq(senders.id, "snd_m14"));
    expect(after && serializeSender(after).whatsapp?.paymentStatus).toEqual({
      setupStatus: "NOT_STARTED",
      methodStatus: "NONE",
      canSendTemplates: false,
    });
  });
});

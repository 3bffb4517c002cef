import { eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { phoneNumberPins } from "../db/schema";
import { decryptSecret, encryptSecret, randomDigits } from "../lib/crypto";

const PIN_COLUMN = "phone_number_pins.pin_ciphertext";

/**
 * The PIN to register `phoneNumberId` with: the one stored for it, or a new one stored first.
 * The write comes before `register` and belongs to no attempt, so a register that Meta applied
 * for an attempt that then lost (cancel, expiry, timeout) never strands the number: the next
 * registration, in any project or mode, uses the same PIN. Of two racing first registrations
 * the first insert wins and both read it back.
 */
export async function registrationPin(
  db: Db,
  encryptionKeys: string,
  phoneNumberId: string,
  now: number,
): Promise<string> {
  const sealed = await encryptSecret(encryptionKeys, randomDigits(6), PIN_COLUMN);
  const [row] = await db
    .insert(phoneNumberPins)
    .values({ phoneNumberId, pinCiphertext: sealed, createdAt: now, updatedAt: now })
    .onConflictDoUpdate({
      target: phoneNumberPins.phoneNumberId,
      // A no-op update, so RETURNING gives the stored row whichever insert came first.
      set: { phoneNumberId },
    })
    .returning({ pinCiphertext: phoneNumberPins.pinCiphertext });
  if (!row) throw new Error("PIN upsert returned no row");
  return decryptSecret(encryptionKeys, row.pinCiphertext, PIN_COLUMN);
}

/** The sealed PIN stored for a number, if any (tests and the re-seal command read it). */
export async function findPin(db: Db, phoneNumberId: string) {
  const [row] = await db
    .select()
    .from(phoneNumberPins)
    .where(eq(phoneNumberPins.phoneNumberId, phoneNumberId))
    .limit(1);
  return row;
}

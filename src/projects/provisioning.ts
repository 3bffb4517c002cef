import type { apiKeys, KeyMode, phoneNumbers, projects } from "../db/schema";
import { generateApiKey, randomId, sha256Hex } from "../lib/crypto";

// Rows for the operator's provisioning (scripts/admin.ts) and for tests: the one place that
// decides how a project, an API key and a phone number are minted.

export function newProject(name: string, now: number): typeof projects.$inferInsert {
  return { id: randomId("prj"), name, createdAt: now };
}

/**
 * A key row and the plaintext key, which is shown once and never stored. A test key
 * (`zv_test_…`) creates test-mode invitations.
 */
export async function newApiKey(
  projectId: string,
  now: number,
  name: string | null = null,
  mode: KeyMode = "live",
): Promise<{ row: typeof apiKeys.$inferInsert; apiKey: string }> {
  const apiKey = generateApiKey(mode);
  return {
    apiKey,
    row: {
      id: randomId("key"),
      projectId,
      keyHash: await sha256Hex(apiKey),
      keyPrefix: apiKey.slice(0, 12),
      name,
      mode,
      createdAt: now,
      revokedAt: null,
    },
  };
}

export function newPhoneNumber(
  projectId: string,
  phoneNumber: string,
  now: number,
): typeof phoneNumbers.$inferInsert {
  return { id: randomId("pn"), projectId, phoneNumber, createdAt: now };
}

import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type ColumnReport, type ResealDatabase, resealAll, resealColumn } from "../../src/db/reseal";
import {
  aadOf,
  base64ToBytes,
  bytesToBase64Url,
  decryptSecret,
  encryptSecret,
  randomId,
  SEALED_COLUMNS,
  type SealedColumn,
} from "../../src/lib/crypto";
import { call, createInvitation, createProject } from "../support/api";
import { appWith } from "../support/app";

// This file's D1 is its own (storage is isolated per test file): every sealed row in it is made here.

const NEW_KEY = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
/** After the rotation: the new key first, the old one (the tests' test1) still listed. */
const ROTATING = `k2:${NEW_KEY},${env.ENCRYPTION_KEYS}`;
/** After the old key is removed. */
const NEW_ONLY = `k2:${NEW_KEY}`;

function d1Database(onUpdate?: (sql: string[]) => Promise<void>): ResealDatabase {
  return {
    select: async (sql, params) =>
      (
        await env.DB.prepare(sql)
          .bind(...params)
          .all()
      ).results,
    update: async (statements) => {
      await onUpdate?.(statements.map((s) => s.sql));
      const results = await env.DB.batch(statements.map((s) => env.DB.prepare(s.sql).bind(...s.params)));
      return results.map((r) => r.results.length);
    },
  };
}

async function legacySeal(plaintext: string): Promise<string> {
  const [id, base64] = env.ENCRYPTION_KEYS.split(":") as [string, string];
  const key = await crypto.subtle.importKey("raw", base64ToBytes(base64), "AES-GCM", false, ["encrypt"]);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv },
    key,
    new TextEncoder().encode(plaintext),
  );
  return `${id}.${bytesToBase64Url(iv)}.${bytesToBase64Url(new Uint8Array(sealed))}`;
}

async function cells(column: SealedColumn): Promise<{ rid: number; sealed: string }[]> {
  const [table, name] = column.split(".");
  const { results } = await env.DB.prepare(
    `SELECT rowid AS rid, ${name} AS sealed FROM ${table} WHERE ${name} IS NOT NULL ORDER BY rowid`,
  ).all<{ rid: number; sealed: string }>();
  return results;
}

const report = (r: Partial<ColumnReport>): ColumnReport => ({
  resealed: 0,
  current: 0,
  failed: 0,
  raced: 0,
  ...r,
});

describe("admin reseal", () => {
  it("re-seals every sealed column under the newest key, bound to its column, in resumable batches", async () => {
    // Rows of every sealed column, sealed under the old key (test1): by the API, and two in
    // the format of before the columns were bound.
    const { apiKey, projectId } = await createProject();
    const invitations = [
      await createInvitation(apiKey),
      await createInvitation(apiKey),
      await createInvitation(apiKey),
    ];
    const replayed = await call("/v1/invitations", {
      method: "POST",
      apiKey,
      headers: { "Content-Type": "application/json", "Idempotency-Key": "reseal-1" },
      body: "{}",
    });
    expect(replayed.status).toBe(201);
    const webhook = await call("/v1/invitations/webhook", {
      method: "POST",
      apiKey,
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        url: "https://partner.example.com/hooks",
        events: ["invitation.status_changed"],
      }),
    });
    expect(webhook.status).toBe(201);
    const first = invitations[0] as { id: string; token: string };
    await env.DB.prepare("UPDATE invitations SET token_ciphertext = ? WHERE id = ?")
      .bind(await legacySeal(first.token), first.id)
      .run();
    const now = Date.now();
    await env.DB.prepare(
      "INSERT INTO senders (id, project_id, channel, provider_account_id, mode, invitation_id, access_token_ciphertext, created_at, updated_at) VALUES (?, ?, 'whatsapp', ?, 'live', ?, ?, ?, ?)",
    )
      .bind(
        randomId("snd"),
        projectId,
        "1000001",
        first.id,
        await legacySeal("EAAG-business-token"),
        now,
        now,
      )
      .run();
    await env.DB.prepare(
      "INSERT INTO phone_number_pins (phone_number_id, pin_ciphertext, created_at, updated_at) VALUES (?, ?, ?, ?)",
    )
      .bind(
        `reseal-${randomId("pn")}`,
        await encryptSecret(env.ENCRYPTION_KEYS, "123456", "phone_number_pins.pin_ciphertext"),
        now,
        now,
      )
      .run();
    // A value no listed key opens (a key lost before the rotation): reported, left as it is.
    const lost = "lost.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    await env.DB.prepare(
      "INSERT INTO senders (id, project_id, channel, provider_account_id, mode, invitation_id, access_token_ciphertext, created_at, updated_at) VALUES (?, ?, 'messenger', ?, 'live', ?, ?, ?, ?)",
    )
      .bind(randomId("snd"), projectId, "2000002", first.id, lost, now, now)
      .run();
    await env.DB.prepare(
      "INSERT INTO onboarding_attempts (invitation_id, started_at, pages_ciphertext, number_ciphertext, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
    )
      .bind(
        first.id,
        now,
        await legacySeal('[{"id":"p1","accessToken":"EAAG-page"}]'),
        await encryptSecret(
          env.ENCRYPTION_KEYS,
          '{"token":"EAAG-number-step","wabaId":"1","businessId":null,"number":null}',
          "onboarding_attempts.number_ciphertext",
        ),
        now,
        now,
      )
      .run();

    // What each cell holds, read with the old key, before anything is re-sealed.
    const plain = new Map<string, string>();
    for (const column of SEALED_COLUMNS) {
      for (const cell of await cells(column)) {
        if (cell.sealed === lost) continue;
        plain.set(`${column}#${cell.rid}`, await decryptSecret(env.ENCRYPTION_KEYS, cell.sealed, column));
      }
    }
    expect(plain.size).toBe(4 + 1 + 1 + 1 + 1 + 1 + 1);

    // A run stopped after its first batch (one row): that row is done, the rest untouched.
    let updates = 0;
    const stopping = d1Database(async () => {
      if (++updates > 1) throw new Error("stopped");
    });
    await expect(resealColumn(stopping, ROTATING, "invitations.token_ciphertext", 1)).rejects.toThrow(
      "stopped",
    );
    expect(
      (await cells("invitations.token_ciphertext")).filter((c) => c.sealed.startsWith("v2.k2.")).length,
    ).toBe(1);

    // Run again, in batches of 2, while the Worker rewrites the webhook's secret under the new
    // key between the read and the update: that row is left to the Worker's value.
    const fromWorker = await encryptSecret(ROTATING, "whsec_rotated_meanwhile", "webhooks.secret_ciphertext");
    const racing = d1Database(async (sql) => {
      if (sql.some((s) => s.startsWith('UPDATE "webhooks"')))
        await env.DB.prepare("UPDATE webhooks SET secret_ciphertext = ?").bind(fromWorker).run();
    });
    const reports = await resealAll(racing, ROTATING, 2);
    expect(reports).toEqual({
      "invitations.token_ciphertext": report({ resealed: 3, current: 1 }),
      "webhooks.secret_ciphertext": report({ raced: 1 }),
      "idempotency_keys.response_body_ciphertext": report({ resealed: 1 }),
      "senders.access_token_ciphertext": report({ resealed: 1, failed: 1 }),
      "onboarding_attempts.pages_ciphertext": report({ resealed: 1 }),
      "phone_number_pins.pin_ciphertext": report({ resealed: 1 }),
      "webhooks.previous_secret_ciphertext": report({}),
      "onboarding_attempts.number_ciphertext": report({ resealed: 1 }),
    });
    plain.set(
      `webhooks.secret_ciphertext#${(await cells("webhooks.secret_ciphertext"))[0]?.rid}`,
      "whsec_rotated_meanwhile",
    );

    // Every cell now opens with the new key alone, for its own column only, to what it held.
    let checked = 0;
    for (const column of SEALED_COLUMNS) {
      for (const cell of await cells(column)) {
        if (cell.sealed === lost) continue;
        expect(cell.sealed.startsWith("v2.k2.")).toBe(true);
        expect(await decryptSecret(NEW_ONLY, cell.sealed, column)).toBe(plain.get(`${column}#${cell.rid}`));
        for (const other of SEALED_COLUMNS.filter((c) => aadOf(c) !== aadOf(column))) {
          await expect(decryptSecret(NEW_ONLY, cell.sealed, other)).rejects.toThrow();
        }
        checked++;
      }
    }
    expect(checked).toBe(plain.size);
    expect((await cells("senders.access_token_ciphertext")).map((c) => c.sealed)).toContain(lost);

    // Idempotent: a second run finds everything current.
    expect(await resealAll(d1Database(), ROTATING, 50)).toEqual({
      "invitations.token_ciphertext": report({ current: 4 }),
      "webhooks.secret_ciphertext": report({ current: 1 }),
      "idempotency_keys.response_body_ciphertext": report({ current: 1 }),
      "senders.access_token_ciphertext": report({ current: 1, failed: 1 }),
      "onboarding_attempts.pages_ciphertext": report({ current: 1 }),
      "phone_number_pins.pin_ciphertext": report({ current: 1 }),
      "webhooks.previous_secret_ciphertext": report({}),
      "onboarding_attempts.number_ciphertext": report({ current: 1 }),
    });

    // With the old key removed the API serves every token, and replays the remembered response.
    const withNewKeyOnly = appWith({}, { ...env, ENCRYPTION_KEYS: NEW_ONLY });
    const list = (await (await withNewKeyOnly("/v1/invitations", { apiKey })).json()) as {
      items: { id: string; token: string }[];
    };
    expect(list.items).toHaveLength(4);
    for (const invitation of invitations) {
      expect(list.items.find((i) => i.id === invitation.id)?.token).toBe(invitation.token);
    }
    const replay = await withNewKeyOnly("/v1/invitations", {
      method: "POST",
      apiKey,
      headers: { "Content-Type": "application/json", "Idempotency-Key": "reseal-1" },
      body: "{}",
    });
    expect(replay.status).toBe(201);
  });
});

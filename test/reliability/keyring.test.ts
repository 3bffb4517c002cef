import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  base64ToBytes,
  bytesToBase64Url,
  checkKeyring,
  decryptSecret,
  encryptSecret,
  openBookmarkValue,
  SEALED_COLUMNS,
  sealBookmarkValue,
} from "../../src/lib/crypto";
import { call, createInvitation, createProject, expectError } from "../support/api";
import { appWith } from "../support/app";

afterEach(() => vi.restoreAllMocks());

function capture(): string[] {
  const lines: string[] = [];
  for (const method of ["log", "warn", "error", "info"] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      lines.push(args.map(String).join(" "));
    });
  }
  return lines;
}

const key32 = (fill: number) => btoa(String.fromCharCode(...new Uint8Array(32).fill(fill)));
const NEW = key32(7);
const OLD = key32(9);
const SHORT = btoa("sixteen bytes!!!");

/** A value in the format of before the columns were bound: `<keyId>.<iv>.<ct>`, no additional data. */
async function legacySeal(id: string, base64Key: string, plaintext: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", base64ToBytes(base64Key), "AES-GCM", false, ["encrypt"]);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv },
    key,
    new TextEncoder().encode(plaintext),
  );
  return `${id}.${bytesToBase64Url(iv)}.${bytesToBase64Url(new Uint8Array(sealed))}`;
}

const BAD_KEYRINGS: [string, string, string][] = [
  // The case that used to seal every new secret with a key decryption never picked.
  ["a duplicate id", `k1:${NEW},k1:${OLD}`, "ENCRYPTION_KEYS: duplicate key id k1"],
  [
    "an id with a space",
    `k 1:${NEW}`,
    "ENCRYPTION_KEYS: entry 1 has no key id of [A-Za-z0-9_-] before its ':'",
  ],
  [
    "an id with a dot",
    `k2:${NEW},k.1:${OLD}`,
    "ENCRYPTION_KEYS: entry 2 has no key id of [A-Za-z0-9_-] before its ':'",
  ],
  ["no id at all", NEW, "ENCRYPTION_KEYS: entry 1 has no key id of [A-Za-z0-9_-] before its ':'"],
  ["a 16-byte key", `k1:${SHORT}`, "ENCRYPTION_KEYS: key k1 is 16 bytes, not 32"],
  ["a key that is not base64", `k1:${NEW},k0:not*base64!`, "ENCRYPTION_KEYS: key k0 is not base64"],
  ["nothing", " , ", "ENCRYPTION_KEYS is empty"],
];

describe("a malformed ENCRYPTION_KEYS", () => {
  it("is named by the parser, without key material", () => {
    for (const [, ring, problem] of BAD_KEYRINGS) expect(() => checkKeyring(ring)).toThrow(problem);
    expect(checkKeyring(`k2:${NEW},k1:${OLD}`)).toEqual({ keyIds: ["k2", "k1"], current: "k2" });
  });

  for (const [what, ring, problem] of BAD_KEYRINGS) {
    it(`with ${what}: the API, the invite link and /ready answer 500 internal_error, logged, nothing sealed`, async () => {
      const { apiKey, projectId } = await createProject();
      const invitation = await createInvitation(apiKey);
      const lines = capture();
      const broken = appWith({}, { ...env, ENCRYPTION_KEYS: ring });
      const responses = [
        await broken("/v1/invitations", { apiKey }),
        await broken(`/v1/invitations/${invitation.id}`, { apiKey }),
        await broken("/v1/invitations", {
          method: "POST",
          apiKey,
          headers: { "Content-Type": "application/json" },
          body: "{}",
        }),
        await broken("/v1/invitations/webhook", { apiKey }),
        await broken(`/invite/${invitation.token}`),
        await broken("/ready"),
      ];
      const bodies = [];
      for (const res of responses) {
        const body = await expectError(res, 500, "internal_error");
        expect(body.message).toBe("An unexpected error occurred; retry later");
        bodies.push(JSON.stringify(body));
      }
      // Each refusal logged the problem by name; no log line or body holds a key.
      const logged = lines.filter((l) => l.includes('"event":"keyring_invalid"')).map((l) => JSON.parse(l));
      expect(logged).toHaveLength(responses.length);
      for (const line of logged) expect(line.problem).toBe(problem);
      for (const text of [...lines, ...bodies]) {
        for (const material of [NEW, OLD, SHORT, "not*base64!"]) expect(text).not.toContain(material);
      }
      // The create did nothing.
      const list = (await (await call("/v1/invitations", { apiKey })).json()) as { items: unknown[] };
      expect(list.items).toHaveLength(1);
      const rows = await env.DB.prepare("SELECT count(*) AS n FROM invitations WHERE project_id = ?")
        .bind(projectId)
        .first<{ n: number }>();
      expect(rows?.n).toBe(1);
    });
  }

  it("a well-formed keyring is ready, and the docs stay up whatever the keyring", async () => {
    const ready = await call("/ready");
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready", encryptionKeyId: "test1" });
    const rotated = appWith({}, { ...env, ENCRYPTION_KEYS: `k2:${NEW},${env.ENCRYPTION_KEYS}` });
    expect(await (await rotated("/ready")).json()).toEqual({ status: "ready", encryptionKeyId: "k2" });
    capture();
    const broken = appWith({}, { ...env, ENCRYPTION_KEYS: `k1:${NEW},k1:${OLD}` });
    expect((await broken("/openapi.json")).status).toBe(200);
  });
});

describe("ciphertexts are bound to their column", () => {
  it("a stored token opens only as invitations.token_ciphertext", async () => {
    const { apiKey } = await createProject();
    const invitation = await createInvitation(apiKey);
    const row = await env.DB.prepare("SELECT token_ciphertext AS c FROM invitations WHERE id = ?")
      .bind(invitation.id)
      .first<{ c: string }>();
    const sealed = String(row?.c);
    expect(sealed).toMatch(/^v2\.test1\.[\w-]{16}\.[\w-]+$/);
    expect(await decryptSecret(env.ENCRYPTION_KEYS, sealed, "invitations.token_ciphertext")).toBe(
      invitation.token,
    );
    for (const other of SEALED_COLUMNS.filter((c) => c !== "invitations.token_ciphertext")) {
      await expect(decryptSecret(env.ENCRYPTION_KEYS, sealed, other)).rejects.toThrow();
    }
  });

  it("a webhook secret copied into an invitation's token column is not served as its token", async () => {
    const { apiKey } = await createProject();
    const invitation = await createInvitation(apiKey);
    const created = await call("/v1/invitations/webhook", {
      method: "POST",
      apiKey,
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        url: "https://partner.example.com/hooks",
        events: ["invitation.status_changed"],
      }),
    });
    const { secret } = ((await created.json()) as { webhook: { secret: string } }).webhook;
    await env.DB.prepare(
      "UPDATE invitations SET token_ciphertext = (SELECT secret_ciphertext FROM webhooks WHERE project_id = invitations.project_id) WHERE id = ?",
    )
      .bind(invitation.id)
      .run();
    capture();
    const res = await call(`/v1/invitations/${invitation.id}`, { apiKey });
    const text = await res.text();
    expect(res.status).toBe(500);
    expect(text).not.toContain(secret);
  });

  it("a value of the old format (no column) still opens until re-sealed", async () => {
    const ring = `k1:${OLD}`;
    const legacy = await legacySeal("k1", OLD, "a token of before");
    for (const column of SEALED_COLUMNS)
      expect(await decryptSecret(ring, legacy, column)).toBe("a token of before");
    // A current value under the same key is bound.
    const current = await encryptSecret(ring, "bound", "phone_number_pins.pin_ciphertext");
    expect(await decryptSecret(ring, current, "phone_number_pins.pin_ciphertext")).toBe("bound");
    await expect(decryptSecret(ring, current, "senders.access_token_ciphertext")).rejects.toThrow();
  });
});

describe("X-D1-Bookmark has its own key", () => {
  it("a sealed bookmark does not open as a secret, and a secret's ciphertext does not open as a bookmark", async () => {
    const ring = `k1:${OLD}`;
    const bookmark = "00000001-00000002-00000003-0123456789abcdef0123456789abcdef";
    const sealed = await sealBookmarkValue(ring, bookmark);
    expect(await openBookmarkValue(ring, sealed)).toBe(bookmark);
    // Under the secrets' key itself (what the header used to be sealed with) it does not open.
    for (const column of SEALED_COLUMNS) await expect(decryptSecret(ring, sealed, column)).rejects.toThrow();
    await expect(openBookmarkValue(ring, await legacySeal("k1", OLD, bookmark))).rejects.toThrow();
    await expect(
      openBookmarkValue(ring, await encryptSecret(ring, bookmark, "invitations.token_ciphertext")),
    ).rejects.toThrow();
  });

  it("the header on a response opens with the bookmark key only", async () => {
    const { apiKey } = await createProject();
    const res = await call("/v1/invitations", { apiKey });
    const header = String(res.headers.get("X-D1-Bookmark"));
    expect(await openBookmarkValue(env.ENCRYPTION_KEYS, header)).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}$/,
    );
    const [, rawKey] = env.ENCRYPTION_KEYS.split(":") as [string, string];
    const key = await crypto.subtle.importKey("raw", base64ToBytes(rawKey), "AES-GCM", false, ["decrypt"]);
    const [, iv, data] = header.split(".") as [string, string, string];
    await expect(
      crypto.subtle.decrypt({ name: "AES-GCM", iv: base64ToBytes(iv) }, key, base64ToBytes(data)),
    ).rejects.toThrow();
  });
});

import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { createFakeMeta, FAKE_APP_ID, type FakeMeta } from "../../src/meta/fake";
import { testKeyFor } from "../onboarding/support";
import { createProject, expectError } from "../support/api";
import type { Caller } from "../support/app";
import { JPEG, PNG } from "./images";
import { connected, sendJson, withFake } from "./support";

const images = inject("imageServerOrigin");

async function imageHits(path: string): Promise<number> {
  const res = await fetch(`${images}/count${path}`);
  return ((await res.json()) as { count: number }).count;
}

/** The Graph calls a sender operation made (not its connection's). */
function metaCallsSince(fake: FakeMeta, since: number): string[] {
  return fake.calls.slice(since);
}

async function whatsappSender(app: Caller, number: string) {
  const project = await createProject();
  const row = await connected(app, project.apiKey, project.projectId, { number });
  return { project, row };
}

const profilePath = (id: string) => `/v1/senders/${id}/profile`;
const picturePath = (id: string) => `/v1/senders/${id}/profile/picture`;

describe("GET /v1/senders/{senderId}/profile", () => {
  it("reads the number's WhatsApp Business profile from Meta", async () => {
    const { app, fake } = withFake();
    const { project, row } = await whatsappSender(app, "+14155550501");
    const since = fake.calls.length;
    const res = await app(profilePath(row.id), { apiKey: project.apiKey });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      profile: { about: "Hey there! I am using WhatsApp.", vertical: "UNDEFINED", websites: [] },
    });
    expect(metaCallsSince(fake, since)).toEqual([`GET /${row.providerAccountId}/whatsapp_business_profile`]);
  });

  it("a Messenger sender is a 400, another project's or mode's a 404, and nothing reaches Meta", async () => {
    const { app, fake } = withFake();
    const project = await createProject();
    const page = await connected(app, project.apiKey, project.projectId, { messenger: true });
    const { row } = await whatsappSender(app, "+14155550502");
    const since = fake.calls.length;
    const body = await expectError(
      await app(profilePath(page.id), { apiKey: project.apiKey }),
      400,
      "invalid_request",
    );
    expect(body.message).toMatch(/only for WhatsApp senders/);
    await expectError(await app(profilePath(row.id), { apiKey: project.apiKey }), 404, "not_found");
    await expectError(
      await app(profilePath(row.id), { apiKey: await testKeyFor(row.projectId) }),
      404,
      "not_found",
    );
    expect(metaCallsSince(fake, since)).toEqual([]);
  });

  it("Meta's refusals: revoked access is 400 invalid_state, Meta down a 500, its rate limit a 429", async () => {
    const real = createFakeMeta();
    let answer: Response | null = null;
    const fake: FakeMeta = {
      ...real,
      fetch: async (request) =>
        answer && new URL(request.url).pathname.includes("whatsapp_business_profile")
          ? answer.clone()
          : real.fetch(request),
    };
    const { app } = withFake(fake);
    const { project, row } = await whatsappSender(app, "+14155550503");
    const graphError = (status: number, code: number) =>
      Response.json({ error: { message: "no", type: "OAuthException", code, fbtrace_id: "x" } }, { status });
    answer = graphError(401, 190);
    const revoked = await expectError(
      await app(profilePath(row.id), { apiKey: project.apiKey }),
      400,
      "invalid_state",
    );
    expect(revoked.message).toMatch(/connect it again/);
    expect(revoked.details?.metaCode).toBe(190);
    answer = graphError(500, 2);
    await expectError(await app(profilePath(row.id), { apiKey: project.apiKey }), 500, "internal_error");
    answer = graphError(400, 80008);
    await expectError(await app(profilePath(row.id), { apiKey: project.apiKey }), 429, "rate_limited");
  });
});

describe("PATCH /v1/senders/{senderId}/profile", () => {
  it("sets the given fields on Meta and answers the profile Meta now has", async () => {
    const { app, fake } = withFake();
    const { project, row } = await whatsappSender(app, "+14155550504");
    const changes = {
      about: "Succulent specialists!",
      address: "1 Garden Way, Springfield",
      description: "We specialize in providing high-quality succulents.",
      email: "contact@example.com",
      vertical: "RETAIL",
      websites: ["https://www.example.com", "http://shop.example.com/path"],
    };
    const since = fake.calls.length;
    const res = await sendJson(app, "PATCH", profilePath(row.id), project.apiKey, changes);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ success: true, profile: changes });
    expect(fake.businessProfile(row.providerAccountId)).toEqual(changes);
    expect(metaCallsSince(fake, since)).toEqual([
      `POST /${row.providerAccountId}/whatsapp_business_profile`,
      `GET /${row.providerAccountId}/whatsapp_business_profile`,
    ]);
    // Only what is given changes.
    const again = await sendJson(app, "PATCH", profilePath(row.id), project.apiKey, { about: "New about" });
    expect(((await again.json()) as { profile: unknown }).profile).toEqual({
      ...changes,
      about: "New about",
    });
  });

  it("refuses values past the SDK's limits with 400 on the field, and nothing reaches Meta", async () => {
    const { app, fake } = withFake();
    const { project, row } = await whatsappSender(app, "+14155550505");
    const cases: [unknown, string][] = [
      [{ about: "" }, "about"],
      [{ about: "a".repeat(140) }, "about"],
      [{ address: "a".repeat(257) }, "address"],
      [{ description: "d".repeat(513) }, "description"],
      [{ email: "not-an-email" }, "email"],
      [{ email: `${"e".repeat(120)}@example.com` }, "email"],
      [{ vertical: "SPACE" }, "vertical"],
      [{ websites: ["https://a.example", "https://b.example", "https://c.example"] }, "websites"],
      [{ websites: ["ftp://files.example.com"] }, "websites.0"],
      [{ websites: [`https://example.com/${"p".repeat(240)}`] }, "websites.0"],
      [{ websites: "https://example.com" }, "websites"],
      [{ profilePictureUrl: "https://example.com/x.png" }, "profilePictureUrl"],
      [{ name: "x" }, "name"],
      [{}, "body"],
    ];
    const since = fake.calls.length;
    for (const [input, field] of cases) {
      const error = await expectError(
        await sendJson(app, "PATCH", profilePath(row.id), project.apiKey, input),
        400,
        "invalid_request",
      );
      expect(Object.keys((error.details?.fields ?? {}) as object), JSON.stringify(input)).toContain(field);
    }
    // At the limits exactly: accepted.
    const edge = {
      about: "a".repeat(139),
      address: "b".repeat(256),
      description: "c".repeat(512),
      email: `${"e".repeat(116)}@example.com`,
    };
    expect(metaCallsSince(fake, since)).toEqual([]);
    const ok = await sendJson(app, "PATCH", profilePath(row.id), project.apiKey, edge);
    expect(ok.status).toBe(200);
    expect(fake.businessProfile(row.providerAccountId)).toMatchObject(edge);
  });

  it("a Messenger sender is a 400 and another project's sender a 404, before Meta", async () => {
    const { app, fake } = withFake();
    const project = await createProject();
    const page = await connected(app, project.apiKey, project.projectId, { messenger: true });
    const { row } = await whatsappSender(app, "+14155550506");
    const since = fake.calls.length;
    await expectError(
      await sendJson(app, "PATCH", profilePath(page.id), project.apiKey, { about: "x" }),
      400,
      "invalid_request",
    );
    await expectError(
      await sendJson(app, "PATCH", profilePath(row.id), project.apiKey, { about: "x" }),
      404,
      "not_found",
    );
    expect(metaCallsSince(fake, since)).toEqual([]);
  });
});

describe("POST /v1/senders/{senderId}/profile/picture", () => {
  it("fetches the image, uploads it to Meta (resumable) and sets it: PNG and JPEG", async () => {
    const { app, fake } = withFake();
    const { project, row } = await whatsappSender(app, "+14155550507");
    for (const [path, mimeType, bytes] of [
      ["/png", "image/png", PNG],
      ["/jpeg", "image/jpeg", JPEG],
    ] as const) {
      const since = fake.calls.length;
      const res = await sendJson(app, "POST", picturePath(row.id), project.apiKey, {
        imageUrl: `${images}${path}`,
        mimeType,
      });
      const text = await res.text();
      expect(res.status, text).toBe(200);
      const body = JSON.parse(text) as { success: boolean; profile: { profilePictureUrl?: string } };
      expect(body.success).toBe(true);
      expect(body.profile.profilePictureUrl).toMatch(/^https:\/\/pps\.whatsapp\.net\//);
      expect(fake.profilePicture(row.providerAccountId)).toEqual({ type: mimeType, bytes });
      const calls = metaCallsSince(fake, since);
      expect(calls).toHaveLength(4);
      expect(calls[0]).toBe(`POST /${FAKE_APP_ID}/uploads`);
      expect(calls[1]).toMatch(/^POST \/upload:/);
      expect(calls.slice(2)).toEqual([
        `POST /${row.providerAccountId}/whatsapp_business_profile`,
        `GET /${row.providerAccountId}/whatsapp_business_profile`,
      ]);
    }
  });

  it("refuses URLs outside the webhook URL rules, before fetching anything", async () => {
    const strict = withFake(createFakeMeta(), { ...env, WEBHOOK_ALLOW_LOCAL_URLS: "false" } as Env);
    const { project, row } = await whatsappSender(strict.app, "+14155550508");
    const hits = await imageHits("/png");
    const since = strict.fake.calls.length;
    for (const [imageUrl, message] of [
      ["http://example.com/logo.png", /https/],
      [`${images}/png`, /https|loopback/],
      ["https://127.0.0.1/logo.png", /loopback/],
      ["https://10.0.0.8/logo.png", /private/],
      ["https://169.254.169.254/latest/meta-data", /private/],
      ["https://[::ffff:192.168.1.1]/logo.png", /private/],
      ["https://intranet/logo.png", /private/],
      ["https://user:pw@example.com/logo.png", /credentials/],
      ["not a url", /absolute URL/],
    ] as const) {
      const error = await expectError(
        await sendJson(strict.app, "POST", picturePath(row.id), project.apiKey, {
          imageUrl,
          mimeType: "image/png",
        }),
        400,
        "invalid_request",
      );
      expect((error.details?.fields as Record<string, string> | undefined)?.imageUrl, imageUrl).toMatch(
        message,
      );
    }
    expect(await imageHits("/png")).toBe(hits);
    expect(metaCallsSince(strict.fake, since)).toEqual([]);
  });

  it("refuses an image too large, of other bytes than declared, a redirect or an error status; nothing reaches Meta", async () => {
    const { app, fake } = withFake();
    const { project, row } = await whatsappSender(app, "+14155550509");
    const since = fake.calls.length;
    for (const [path, mimeType, message] of [
      ["/big", "image/jpeg", /larger than 5242880 bytes/],
      ["/big-declared", "image/jpeg", /larger than 5242880 bytes/],
      ["/png", "image/jpeg", /not a JPEG .* its bytes are image\/png/],
      ["/jpeg", "image/png", /not a PNG .* its bytes are image\/jpeg/],
      ["/redirect", "image/png", /redirects/],
      ["/missing", "image/png", /HTTP 404/],
    ] as const) {
      const error = await expectError(
        await sendJson(app, "POST", picturePath(row.id), project.apiKey, {
          imageUrl: `${images}${path}`,
          mimeType,
        }),
        400,
        "invalid_request",
      );
      expect((error.details?.fields as Record<string, string> | undefined)?.imageUrl, path).toMatch(message);
    }
    for (const body of [
      { imageUrl: `${images}/png`, mimeType: "image/gif" },
      { imageUrl: `${images}/png` },
      {},
    ]) {
      await expectError(
        await sendJson(app, "POST", picturePath(row.id), project.apiKey, body),
        400,
        "invalid_request",
      );
    }
    expect(metaCallsSince(fake, since)).toEqual([]);
    expect(fake.profilePicture(row.providerAccountId)).toBeUndefined();
  });

  it("a Messenger sender is a 400 and another project's sender a 404, before the image is fetched", async () => {
    const { app, fake } = withFake();
    const project = await createProject();
    const page = await connected(app, project.apiKey, project.projectId, { messenger: true });
    const { row } = await whatsappSender(app, "+14155550510");
    const hits = await imageHits("/png");
    const since = fake.calls.length;
    const body = { imageUrl: `${images}/png`, mimeType: "image/png" };
    await expectError(
      await sendJson(app, "POST", picturePath(page.id), project.apiKey, body),
      400,
      "invalid_request",
    );
    await expectError(
      await sendJson(app, "POST", picturePath(row.id), project.apiKey, body),
      404,
      "not_found",
    );
    expect(await imageHits("/png")).toBe(hits);
    expect(metaCallsSince(fake, since)).toEqual([]);
  });

  it("a retry with the same Idempotency-Key replays the answer without fetching or uploading again", async () => {
    const { app, fake } = withFake();
    const { project, row } = await whatsappSender(app, "+14155550511");
    const hits = await imageHits("/jpeg");
    const send = () =>
      app(picturePath(row.id), {
        method: "POST",
        apiKey: project.apiKey,
        headers: { "Content-Type": "application/json", "Idempotency-Key": `pic-${row.id}` },
        body: JSON.stringify({ imageUrl: `${images}/jpeg`, mimeType: "image/jpeg" }),
      });
    const first = await send();
    expect(first.status).toBe(200);
    const second = await send();
    expect(second.status).toBe(200);
    expect(await second.json()).toEqual(await first.json());
    expect(await imageHits("/jpeg")).toBe(hits + 1);
    expect(fake.count(`POST /${FAKE_APP_ID}/uploads`)).toBe(1);
  });
});

import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  addPhoneNumber,
  call,
  createInvitation,
  createProject,
  expectError,
  postJson,
  type TestProject,
} from "../support/api";
import { countInvitations, expectRequestId, longEmail } from "./helpers";

// Every refused create is a 4xx in the contract's Error shape, carries the request id, names
// every offending field, and stores nothing.

interface Rejection {
  status: number;
  code: string;
  /** The offending top-level fields that details.fields must name, exactly; omit to not check. */
  fields?: string[];
}

async function expectRejected(
  project: TestProject,
  send: () => Promise<Response>,
  { status, code, fields }: Rejection,
) {
  const before = await countInvitations(project.projectId);
  const res = await send();
  const body = await expectError(res, status, code);
  expectRequestId(res, body);
  expect(await countInvitations(project.projectId), "invitations stored").toBe(before);
  if (fields) {
    const named = body.details?.fields as Record<string, string> | undefined;
    expect(named, `details.fields in ${JSON.stringify(body)}`).toBeTypeOf("object");
    const top = [...new Set(Object.keys(named ?? {}).map((path) => path.split(".")[0]))].sort();
    expect(top, JSON.stringify(body)).toEqual([...fields].sort());
    for (const message of Object.values(named ?? {})) {
      expect(typeof message === "string" && message.length > 0, JSON.stringify(body)).toBe(true);
    }
  }
  return body;
}

function rejectsBody(body: unknown, fields: string[]) {
  return async () => {
    const project = await createProject();
    await expectRejected(project, () => postJson("/v1/invitations", project.apiKey, body), {
      status: 400,
      code: "invalid_request",
      fields,
    });
  };
}

function postRaw(apiKey: string, body: BodyInit, contentType?: string): Promise<Response> {
  const headers: Record<string, string> = contentType === undefined ? {} : { "Content-Type": contentType };
  return call("/v1/invitations", { method: "POST", apiKey, headers, body });
}

describe("POST /v1/invitations: invalid fields → 400 invalid_request, nothing stored", () => {
  it("clientName of 101 characters", rejectsBody({ clientName: "n".repeat(101) }, ["clientName"]));

  it(
    "clientName of 101 characters outside the BMP",
    rejectsBody({ clientName: "😀".repeat(101) }, ["clientName"]),
  );

  for (const value of [123, null, [], {}]) {
    it(
      `clientName ${JSON.stringify(value)} (not a string)`,
      rejectsBody({ clientName: value }, ["clientName"]),
    );
  }

  it("clientEmail of 300 characters", async () => {
    const email = longEmail(300);
    expect(email).toHaveLength(300);
    await rejectsBody({ clientEmail: email }, ["clientEmail"])();
  });

  for (const email of ["nope", "a@", "@b.com"]) {
    it(`clientEmail ${JSON.stringify(email)}`, rejectsBody({ clientEmail: email }, ["clientEmail"]));
  }

  for (const phone of [
    "14155551234",
    "+1 415 555 1234",
    "+0123",
    "+1",
    "+1234567890123456",
    "+1415555123a",
  ]) {
    it(
      `clientPhone ${JSON.stringify(phone)} (not E.164)`,
      rejectsBody({ clientPhone: phone }, ["clientPhone"]),
    );
  }

  for (const days of [0, 31, 7.5, "7", null, -1]) {
    it(`expiresInDays ${JSON.stringify(days)}`, rejectsBody({ expiresInDays: days }, ["expiresInDays"]));
  }

  for (const countries of ["US", ["XX"], ["USA"], ["U"], ["US", "us"], [], [1]]) {
    it(
      `allowedPhoneCountries ${JSON.stringify(countries)}`,
      rejectsBody({ allowedPhoneCountries: countries }, ["allowedPhoneCountries"]),
    );
  }

  for (const type of ["sms", "whatsapp_alt"]) {
    it(`connectionType ${JSON.stringify(type)}`, rejectsBody({ connectionType: type }, ["connectionType"]));
  }

  it("an unknown field (clientname, wrong case)", rejectsBody({ clientname: "x" }, ["clientname"]));

  // Names that objects inherit (Object.prototype) are unknown fields like any other: named in
  // details.fields, with the same message as an ordinary unknown field.
  for (const name of ["constructor", "toString", "hasOwnProperty", "__proto__"]) {
    it(`an unknown field named ${name}`, async () => {
      const project = await createProject();
      const ordinary = await expectRejected(
        project,
        () => postJson("/v1/invitations", project.apiKey, { clientname: "x" }),
        { status: 400, code: "invalid_request", fields: ["clientname"] },
      );
      const ordinaryMessage = (ordinary.details?.fields as Record<string, string> | undefined)?.clientname;
      expect(ordinaryMessage).toBeTypeOf("string");
      // Raw text: an object literal cannot carry an own "__proto__" key through JSON.stringify.
      const body = await expectRejected(
        project,
        () => postRaw(project.apiKey, `{"${name}": "x"}`, "application/json"),
        { status: 400, code: "invalid_request", fields: [name] },
      );
      const fields = body.details?.fields as Record<string, unknown>;
      expect(Object.hasOwn(fields, name)).toBe(true);
      expect(fields[name]).toBe(ordinaryMessage);
    });
  }

  it(
    "a bad clientEmail and a bad expiresInDays: both named",
    rejectsBody({ clientEmail: "nope", expiresInDays: 0 }, ["clientEmail", "expiresInDays"]),
  );

  it(
    "every field bad at once, plus an unknown one: all named",
    rejectsBody(
      {
        clientName: "n".repeat(101),
        clientEmail: "a@",
        clientPhone: "+0",
        phoneNumberId: 5,
        expiresInDays: 31,
        allowedPhoneCountries: ["XX"],
        connectionType: "sms",
        extra: true,
      },
      [
        "clientName",
        "clientEmail",
        "clientPhone",
        "phoneNumberId",
        "expiresInDays",
        "allowedPhoneCountries",
        "connectionType",
        "extra",
      ],
    ),
  );
});

describe("POST /v1/invitations: messenger takes no WhatsApp options", () => {
  it("messenger + phoneNumberId (a valid number of the project)", async () => {
    const project = await createProject();
    const phoneNumberId = await addPhoneNumber(project.projectId);
    await expectRejected(
      project,
      () => postJson("/v1/invitations", project.apiKey, { connectionType: "messenger", phoneNumberId }),
      { status: 400, code: "invalid_request", fields: ["phoneNumberId"] },
    );
  });

  it(
    "messenger + allowedPhoneCountries",
    rejectsBody({ connectionType: "messenger", allowedPhoneCountries: ["US"] }, ["allowedPhoneCountries"]),
  );

  it("messenger + phoneNumberId + allowedPhoneCountries: both named", async () => {
    const project = await createProject();
    const phoneNumberId = await addPhoneNumber(project.projectId);
    await expectRejected(
      project,
      () =>
        postJson("/v1/invitations", project.apiKey, {
          clientName: "Acme Corp",
          connectionType: "messenger",
          phoneNumberId,
          allowedPhoneCountries: ["US"],
        }),
      { status: 400, code: "invalid_request", fields: ["phoneNumberId", "allowedPhoneCountries"] },
    );
  });
});

describe("POST /v1/invitations: phoneNumberId must be a free number of the project", () => {
  it(
    "an unknown phoneNumberId",
    rejectsBody({ phoneNumberId: "pn_doesnotexist000000000000" }, ["phoneNumberId"]),
  );

  it("a phoneNumberId of another project", async () => {
    const other = await createProject("Other partner");
    const phoneNumberId = await addPhoneNumber(other.projectId);
    const project = await createProject();
    const foreign = await expectRejected(
      project,
      () => postJson("/v1/invitations", project.apiKey, { phoneNumberId }),
      { status: 400, code: "invalid_request", fields: ["phoneNumberId"] },
    );
    expect(await countInvitations(other.projectId)).toBe(0);
    // The answer does not reveal that the number exists elsewhere: same as an unknown id.
    const unknown = await expectRejected(
      project,
      () => postJson("/v1/invitations", project.apiKey, { phoneNumberId: "pn_doesnotexist000000000000" }),
      { status: 400, code: "invalid_request", fields: ["phoneNumberId"] },
    );
    expect(foreign.message).toBe(unknown.message);
    expect(foreign.details?.fields).toEqual(unknown.details?.fields);
  });

  it("a phoneNumberId held by a failed invitation (failed is still open)", async () => {
    const project = await createProject();
    const phoneNumberId = await addPhoneNumber(project.projectId);
    const held = await createInvitation(project.apiKey, { phoneNumberId });
    await env.DB.prepare(
      "UPDATE invitations SET status = 'failed', failed_at = ?, failure_reason = ? WHERE id = ?",
    )
      .bind(Date.now(), "fb_cancelled", held.id)
      .run();
    await expectRejected(project, () => postJson("/v1/invitations", project.apiKey, { phoneNumberId }), {
      status: 400,
      code: "invalid_request",
      fields: ["phoneNumberId"],
    });
  });

  it("a phoneNumberId already held by a pending invitation", async () => {
    const project = await createProject();
    const phoneNumberId = await addPhoneNumber(project.projectId);
    await createInvitation(project.apiKey, { phoneNumberId });
    expect(await countInvitations(project.projectId)).toBe(1);
    await expectRejected(project, () => postJson("/v1/invitations", project.apiKey, { phoneNumberId }), {
      status: 400,
      code: "invalid_request",
      fields: ["phoneNumberId"],
    });
  });
});

describe("POST /v1/invitations: bodies that are not a JSON object", () => {
  for (const text of ["{", '{"a":', '{"clientName":"x",}']) {
    it(`malformed JSON ${JSON.stringify(text)} → 400`, async () => {
      const project = await createProject();
      await expectRejected(project, () => postRaw(project.apiKey, text, "application/json"), {
        status: 400,
        code: "invalid_request",
      });
    });
  }

  for (const text of ["[]", '"x"', "42", "null", "true"]) {
    it(`the JSON value ${text} (not an object) → 400`, async () => {
      const project = await createProject();
      await expectRejected(project, () => postRaw(project.apiKey, text, "application/json"), {
        status: 400,
        code: "invalid_request",
      });
    });
  }
});

describe("POST /v1/invitations: a body that is not JSON → 415 unsupported_media_type", () => {
  const unsupported = { status: 415, code: "unsupported_media_type" };

  it("text/plain", async () => {
    const project = await createProject();
    await expectRejected(
      project,
      () => postRaw(project.apiKey, JSON.stringify({ clientName: "Acme Corp" }), "text/plain"),
      unsupported,
    );
  });

  it("application/x-www-form-urlencoded", async () => {
    const project = await createProject();
    await expectRejected(
      project,
      () => postRaw(project.apiKey, new URLSearchParams({ clientName: "Acme Corp" })),
      unsupported,
    );
  });

  it("multipart/form-data", async () => {
    const project = await createProject();
    const form = new FormData();
    form.set("clientName", "Acme Corp");
    await expectRejected(project, () => postRaw(project.apiKey, form), unsupported);
  });
});

describe("POST /v1/invitations: text that is not what it seems", () => {
  it(
    "a lone UTF-16 surrogate in clientName is refused, not stored altered",
    rejectsBody({ clientName: "Acme \ud800" }, ["clientName"]),
  );

  it(
    "a lone surrogate in phoneNumberId is refused",
    rejectsBody({ phoneNumberId: "pn_\udfff" }, ["phoneNumberId"]),
  );

  it("country codes that only become ISO codes by Unicode case folding ('ıt', 'ſe') are refused", async () => {
    const project = await createProject();
    const body = await expectRejected(
      project,
      () => postJson("/v1/invitations", project.apiKey, { allowedPhoneCountries: ["ıt", "ſe"] }),
      { status: 400, code: "invalid_request", fields: ["allowedPhoneCountries"] },
    );
    expect(Object.keys(body.details?.fields as object).sort()).toEqual([
      "allowedPhoneCountries.0",
      "allowedPhoneCountries.1",
    ]);
  });

  it("a body of non-JSON whitespace (no-break spaces) is malformed JSON, not 'no body'", async () => {
    const project = await createProject();
    await expectRejected(project, () => postRaw(project.apiKey, "\u00a0\u3000", "application/json"), {
      status: 400,
      code: "invalid_request",
    });
  });

  it("JSON declared in a charset other than UTF-8 is a 415", async () => {
    const project = await createProject();
    await expectRejected(
      project,
      () =>
        postRaw(project.apiKey, JSON.stringify({ clientName: "Acme" }), "application/json; charset=utf-16"),
      { status: 415, code: "unsupported_media_type" },
    );
    const ok = await postRaw(
      project.apiKey,
      JSON.stringify({ clientName: "Acme" }),
      'application/json; charset="UTF-8"',
    );
    expect(ok.status).toBe(201);
  });
});

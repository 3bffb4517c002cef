import { beforeAll, describe, expect, it } from "vitest";
import { createProject } from "../support/api";
import { judgeCreate } from "./support/create-judge";
import { checkCreated, checkInvalid } from "./support/create-oracle";
import { JSON_HEADER, MIN_GENERATED_REQUESTS, RUNS } from "./support/fuzz";
import { bearer, setupInvitation as createInvitation, send } from "./support/http";
import { checkResponse } from "./support/invariants";
import { type ApiDocument, loadApiDocument } from "./support/openapi";

// Property-based fuzzing (the approach and its invariants: support/fuzz.ts).
// This file: The oracles themselves: a pass means something.

let api: ApiDocument;
beforeAll(async () => {
  api = await loadApiDocument();
});

describe("fuzz: the oracles themselves", () => {
  it("the document validator and the model reject what they must (so a pass means something)", async () => {
    const { apiKey, projectId } = await createProject();
    const inv = await createInvitation(apiKey);
    const create = api.operationOf("POST", "/v1/invitations");
    const list = api.operationOf("GET", "/v1/invitations");
    if (!create || !list) throw new Error("operations missing from the document");
    expect(api.validate(create, 201, { invitation: inv })).toEqual([]);
    const { id: _id, ...withoutId } = inv;
    const broken = [
      { invitation: withoutId },
      { invitation: { ...inv, status: "bogus" } },
      { invitation: { ...inv, createdAt: "yesterday" } },
      { invitation: { ...inv, clientName: 5 } },
      { invitation: { ...inv, undocumented: true } },
      { invitation: inv, extra: 1 },
    ];
    for (const body of broken) expect(api.validate(create, 201, body).length).toBeGreaterThan(0);
    expect(api.validate(create, 418, { invitation: inv }).length).toBeGreaterThan(0);
    expect(api.validate(list, 200, { items: [inv] }).length).toBeGreaterThan(0);
    expect(api.validateComponent("Error", { code: "invalid_request", message: "m" })).toEqual([]);
    expect(api.validateComponent("Error", { code: "teapot", message: "m" }).length).toBeGreaterThan(0);
    expect(
      api.validateComponent("Error", { code: "not_found", message: "m", stack: "x" }).length,
    ).toBeGreaterThan(0);

    expect(
      judgeCreate({ method: "POST", path: "/v1/invitations", headers: [JSON_HEADER], body: "{}" }, new Set())
        .kind,
    ).toBe("created");
    expect(judgeCreate({ method: "POST", path: "/v1/invitations", body: "x" }, new Set())).toEqual({
      kind: "error",
      status: 415,
      code: "unsupported_media_type",
    });
    const bad = judgeCreate(
      { method: "POST", path: "/v1/invitations", headers: [JSON_HEADER], body: '{"clientName":1,"zz":2}' },
      new Set(),
    );
    expect(bad).toEqual({ kind: "invalid", mustName: ["clientName", "zz"], mayName: ["clientName", "zz"] });

    // checkInvalid and checkCreated fail on a wrong answer.
    const wrong = await send({
      method: "POST",
      path: "/v1/invitations",
      headers: [bearer(apiKey), JSON_HEADER],
      body: '{"clientName":"right"}',
    });
    const checked = checkResponse(api, wrong);
    await expect(checkCreated(wrong, checked, projectId, { clientName: "other" })).rejects.toThrow(
      /clientName/,
    );
    expect(() => checkInvalid(wrong, checked, { mustName: ["clientName"], mayName: [] })).toThrow();
  });

  it(`the properties send at least ${MIN_GENERATED_REQUESTS} generated requests in all`, () => {
    // Each property checks its own count (support/fuzz.ts); their sum is fixed, not measured.
    expect(Object.values(RUNS).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(MIN_GENERATED_REQUESTS);
  });
});

import { env } from "cloudflare:workers";
import { and, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb, preparedOnce } from "../../src/db/client";
import { invitations } from "../../src/db/schema";
import { findInvitation } from "../../src/invitations/invitations.repository";
import { INVITATION_VIEW_COLUMNS } from "../../src/invitations/invitations.serialize";
import { createInvitation, createProject } from "../support/api";

// preparedOnce (src/db/client.ts) builds a query's SQL once per isolate and runs it on the
// client of each call. It leans on drizzle's D1 prepared query running its `stmt` field: if a
// drizzle upgrade changes that, these fail (the template client throws when run, and a query
// would run on the wrong database).

/** A D1 surface that records the SQL of every statement prepared on it. */
function recording(d1: D1Database) {
  const prepared: string[] = [];
  const surface = {
    prepare: (text: string) => {
      prepared.push(text);
      return d1.prepare(text);
    },
    batch: (statements: D1PreparedStatement[]) => d1.batch(statements),
  };
  return { d1: surface as unknown as D1Database, prepared };
}

describe("preparedOnce", () => {
  it("builds the query once and runs each call on that call's own client", async () => {
    const { apiKey, projectId } = await createProject();
    const { id } = await createInvitation(apiKey);
    let builds = 0;
    const find = preparedOnce((db) => {
      builds++;
      return db
        .select({ id: invitations.id, status: invitations.status })
        .from(invitations)
        .where(
          and(
            eq(invitations.id, sql.placeholder("id")),
            eq(invitations.projectId, sql.placeholder("projectId")),
          ),
        )
        .prepare();
    });
    // The invitation is in DB only; REPLICA_DB (test/support/replica.ts) has the schema, not the row.
    const primary = recording(env.DB);
    const replica = recording(env.REPLICA_DB);
    expect(await find(createDb(primary.d1)).all({ id, projectId })).toEqual([{ id, status: "pending" }]);
    expect(await find(createDb(replica.d1)).all({ id, projectId })).toEqual([]);
    expect(await find(createDb(primary.d1)).get({ id, projectId })).toEqual({ id, status: "pending" });
    expect(builds).toBe(1);
    expect(primary.prepared).toHaveLength(2);
    expect(replica.prepared).toHaveLength(1);
    expect(new Set([...primary.prepared, ...replica.prepared]).size).toBe(1);
  });

  it("the repository's prepared reads map rows as drizzle does (the JSON column included), and read only the view", async () => {
    const { apiKey, projectId } = await createProject();
    const { id } = await createInvitation(apiKey, {
      allowedPhoneCountries: ["us", "MX"],
      clientName: "Acme",
      metadata: { crm_id: "42" },
    });
    const row = await findInvitation(createDb(env.DB), { projectId, mode: "live" }, id);
    expect(row).toMatchObject({ id, clientName: "Acme", metadata: { crm_id: "42" }, status: "pending" });
    // The columns only the service uses are not read for a partner's Invitation.
    expect(Object.keys(row ?? {}).sort()).toEqual(Object.keys(INVITATION_VIEW_COLUMNS).sort());
    expect(row).not.toHaveProperty("projectId");
    expect(row).not.toHaveProperty("tokenHash");
    expect(row).not.toHaveProperty("allowedPhoneCountries");
    expect(
      await findInvitation(createDb(env.DB), { projectId: "prj_someoneelse", mode: "live" }, id),
    ).toBeUndefined();
    expect(await findInvitation(createDb(env.DB), { projectId, mode: "test" }, id)).toBeUndefined();
  });
});

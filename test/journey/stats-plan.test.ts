import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { statsStatements } from "../../src/invitations/invitations.stats";

// The funnel's reads are index seeks: each range of the rollup on its primary key, the
// unswept expiries on the sweep's (status, expires_at) index.

it("the rollup is read by ranges of its primary key, the expiries on the sweep's index", async () => {
  const plans: string[] = [];
  for (const connectionType of [undefined, "messenger"] as const) {
    const statements = statsStatements(createDb(env.DB), {
      projectId: "prj_plan",
      mode: "live",
      fromDay: 20_001,
      toDay: 20_367,
      connectionType,
      now: Date.now(),
    });
    for (const statement of statements) {
      const query = statement.toSQL();
      const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${query.sql}`)
        .bind(...query.params)
        .all<{ detail: string }>();
      plans.push(results.map((r) => r.detail).join(" | "));
    }
  }
  for (const plan of [plans[0], plans[2]]) {
    expect(plan).toMatch(/MULTI-INDEX OR/);
    expect(
      plan?.match(
        /SEARCH invitation_stats USING INDEX sqlite_autoindex_invitation_stats_1 \(project_id=\? AND mode=\? AND period_days=\? AND start_day>\? AND start_day<\?\)/g,
      ),
    ).toHaveLength(3);
  }
  for (const plan of [plans[1], plans[3]]) {
    expect(plan).toMatch(
      /SEARCH invitations USING INDEX invitations_status_expires_idx \(status=\? AND expires_at<\?\)/,
    );
  }
});

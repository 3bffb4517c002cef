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
    for (const statement of [...statements.rollups, statements.overdue]) {
      const query = statement.toSQL();
      const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${query.sql}`)
        .bind(...query.params)
        .all<{ detail: string }>();
      plans.push(results.map((r) => r.detail).join(" | "));
    }
  }
  // Per channel filter: three ranges (days, 16-day blocks, days), then the expiries.
  expect(plans).toHaveLength(8);
  for (const [index, plan] of plans.entries()) {
    if (index % 4 === 3) {
      expect(plan).toBe(
        "SEARCH invitations USING INDEX invitations_status_expires_idx (status=? AND expires_at>? AND expires_at<?)",
      );
    } else {
      expect(plan).toBe(
        "SEARCH invitation_stats USING INDEX sqlite_autoindex_invitation_stats_1 (project_id=? AND mode=? AND period_days=? AND start_day>? AND start_day<?)",
      );
    }
  }
});

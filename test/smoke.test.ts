import { describe, expect, it } from "vitest";
import { createInvitation, createProject } from "./support/api";

describe("smoke", () => {
  it("creates an invitation", async () => {
    const { apiKey } = await createProject();
    const inv = await createInvitation(apiKey, { clientName: "Acme Corp" });
    expect(inv.status).toBe("pending");
  });
});

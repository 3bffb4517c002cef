import { defineConfig } from "drizzle-kit";

// drizzle-kit only generates SQL into drizzle/; wrangler applies it (one migration ledger,
// `d1_migrations`), locally and remotely.
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/db/schema.ts",
  out: "./drizzle",
});

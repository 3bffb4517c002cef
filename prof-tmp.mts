import { createApp } from "./src/app";
import { newApiKey } from "./src/projects/provisioning";
const key = await newApiKey("prj_1", 1);
const row = { id: "inv_1", project_id: "prj_1" };
const stmt = (sql: string) => {
  const s: any = {
    bind: () => s,
    raw: async () => (sql.includes("api_keys") ? [["prj_1", null]] : []),
    all: async () => ({ results: [] }),
    first: async () => null,
    run: async () => ({ meta: { changes: 1 }, results: [] }),
  };
  return s;
};
const DB: any = { prepare: stmt, batch: async (ss: any[]) => ss.map(() => ({ meta: { changes: 1 }, results: [] })) };
const RATE_LIMITER: any = { idFromName: () => 1, get: () => ({ take: async (limit: number, w: number, now: number, want: number) => ({ allowed: true, granted: want, limit, remaining: 1e9, resetAt: now + 60000 }) }) };
const env: any = { DB, RATE_LIMITER, TOKEN_HASH_KEY: "dGVzdC1vbmx5LXRva2VuLWhhc2gta2V5LTMyLWJ5dGU=", ENCRYPTION_KEYS: "b1:dGVzdC1vbmx5LWVuY3J5cHRpb24ta2V5LTMyYnl0ZXM=", RATE_LIMIT_PER_MINUTE: "1000000000", RATE_LIMIT_PER_ADDRESS_PER_MINUTE: "1000000000", INVITE_BASE_URL: "" };
const app = createApp();
const ctx: any = { waitUntil() {}, passThroughOnException() {} };
const body = JSON.stringify({ clientName: "Acme Corp", clientEmail: "contact@acme.com", clientPhone: "+14155551234", expiresInDays: 14, allowedPhoneCountries: ["US", "MX"] });
console.log = () => {};
const N = 5000;
for (const round of [1, 2, 3]) {
  let t = performance.now();
  for (let i = 0; i < N; i++) {
    const r = await app.fetch(new Request("http://x/v1/invitations", { method: "POST", body, headers: { Authorization: `Bearer ${key.apiKey}`, "Content-Type": "application/json" } }), env, ctx);
    if (r.status !== 201) throw new Error(String(r.status) + await r.text());
    await r.text();
  }
  process.stderr.write(`create ${(((performance.now() - t) / N) * 1000).toFixed(0)} µs\n`);
  t = performance.now();
  for (let i = 0; i < N; i++) {
    const r = await app.fetch(new Request("http://x/v1/invitations/inv_1", { headers: { Authorization: `Bearer ${key.apiKey}` } }), env, ctx);
    await r.text();
  }
  process.stderr.write(`get(404) ${(((performance.now() - t) / N) * 1000).toFixed(0)} µs\n`);
}

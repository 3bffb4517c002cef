// A Zavu webhook receiver: verifies `v2` of X-Zavu-Signature with crypto.subtle (Workers, Deno,
// Bun, Node 20+) and refuses a `t` more than five minutes away (replays). docs/webhooks.md.
const encoder = new TextEncoder();
const TOLERANCE_SECONDS = 5 * 60;

export async function verifyZavuSignature(
  secret: string, // whsec_…, used as is: the key is this exact string
  header: string | null,
  rawBody: string, // the body exactly as received: verify before parsing
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<boolean> {
  const fields = (header ?? "").split(",").map((part) => part.trim().split("=", 2));
  const t = Number(fields.find(([name]) => name === "t")?.[1]);
  // One v2 per live secret: after a rotation, the old secret signs too for 24 hours.
  const v2s = fields.filter(([name, value]) => name === "v2" && /^[0-9a-f]{64}$/.test(value ?? ""));
  if (!Number.isSafeInteger(t) || v2s.length === 0) return false;
  if (Math.abs(nowSeconds - t) > TOLERANCE_SECONDS) return false;
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify"],
  );
  for (const [, v2 = ""] of v2s) {
    const signature = new Uint8Array((v2.match(/../g) ?? []).map((byte) => parseInt(byte, 16)));
    // verify() compares in constant time.
    if (await crypto.subtle.verify("HMAC", key, signature, encoder.encode(`${t}.${rawBody}`))) return true;
  }
  return false;
}

export default {
  async fetch(request: Request, env: { ZAVU_WEBHOOK_SECRET: string }): Promise<Response> {
    const rawBody = await request.text();
    const header = request.headers.get("X-Zavu-Signature");
    if (!(await verifyZavuSignature(env.ZAVU_WEBHOOK_SECRET, header, rawBody))) {
      return new Response("invalid signature", { status: 401 });
    }
    const event = JSON.parse(rawBody) as {
      id: string;
      data: { invitationId: string; currentStatus: string };
    };
    // Retries carry the same event.id: skip ids you have already handled.
    console.log(`${event.id}: ${event.data.invitationId} is now ${event.data.currentStatus}`);
    return new Response(null, { status: 204 });
  },
};

import { exports } from "cloudflare:workers";
import { BASE, createInvitation } from "../support/api";

let nonce = 0;

/** A client in test mode connecting the invitation's account through the Worker's own endpoints. */
export async function connect(
  apiKey: string,
  options: { number?: string; messenger?: boolean } = {},
): Promise<{ invitationId: string }> {
  const inv = await createInvitation(apiKey, options.messenger ? { connectionType: "messenger" } : {});
  // The attempt's secret from start, sent on the later steps as the page does.
  let secret = "";
  const post = async (step: string, body: unknown) => {
    const res = await exports.default.fetch(
      new Request(`${BASE}/invite/${inv.token}/${step}`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Attempt-Secret": secret },
        body: JSON.stringify(body),
      }),
    );
    const text = await res.text();
    if (res.status !== 200) throw new Error(`${step}: ${res.status} ${text}`);
    const json = JSON.parse(text) as {
      invitation: { status: string };
      pages?: { id: string }[];
      attemptSecret?: string;
    };
    if (json.attemptSecret) secret = json.attemptSecret;
    return json;
  };
  nonce += 1;
  const scenario = options.number ? `number_${options.number.replace("+", "")}` : "ok";
  const code = `fake.${scenario}.s${Date.now().toString(36)}${nonce}`;
  await post("start", {});
  let done: { invitation: { status: string } };
  if (options.messenger) {
    const { pages } = await post("pages", { code });
    done = await post("complete", { pageId: pages?.[0]?.id });
  } else {
    done = await post("complete", { code, event: "FINISH" });
  }
  if (done.invitation.status !== "completed") throw new Error(`not completed: ${JSON.stringify(done)}`);
  return { invitationId: inv.id };
}

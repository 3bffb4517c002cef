import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { BASE, createProject, expectError } from "../support/api";

// Every URL rule, through the API, in production mode (WEBHOOK_ALLOW_LOCAL_URLS unset) and in
// local mode ("true"). Each IPv4 spelling below is one the WHATWG URL parser accepts, so each
// would reach the address it names if the check looked at the text instead of the host.

const OK = "ok";
const HTTPS = "Must use https";
const CREDENTIALS = "Must not contain credentials";
const LOOPBACK = "Must not point at a loopback address";
const INTERNAL = "Must not point at a private, link-local or internal address";
const ABSOLUTE = "Must be an absolute URL";

// [url, in production, in local mode]
const CASES: [string, string, string][] = [
  // allowed
  ["https://partner.example.com/zavu/webhooks", OK, OK],
  ["https://partner.example.com:8443/hook?source=zavu", OK, OK],
  ["https://93.184.216.34/hook", OK, OK],
  ["https://8.8.8.8/", OK, OK],
  ["https://[2606:4700:4700::1111]/hook", OK, OK],
  // range edges that are public
  ["https://11.0.0.1/", OK, OK],
  ["https://172.15.255.255/", OK, OK],
  ["https://172.32.0.1/", OK, OK],
  ["https://192.169.0.1/", OK, OK],
  ["https://169.255.0.1/", OK, OK],
  ["https://126.255.255.255/", OK, OK],
  ["https://128.0.0.1/", OK, OK],
  // scheme
  ["http://partner.example.com/hook", HTTPS, OK],
  ["ftp://partner.example.com/hook", HTTPS, HTTPS],
  ["ws://partner.example.com/hook", HTTPS, HTTPS],
  ["javascript:alert(1)", HTTPS, HTTPS],
  ["not a url", ABSOLUTE, ABSOLUTE],
  ["/relative/path", ABSOLUTE, ABSOLUTE],
  // credentials
  ["https://user:secret@partner.example.com/hook", CREDENTIALS, CREDENTIALS],
  ["https://user@partner.example.com/hook", CREDENTIALS, CREDENTIALS],
  ["https://:@partner.example.com/hook", CREDENTIALS, CREDENTIALS],
  ["https://partner.example.com@127.0.0.1/hook", CREDENTIALS, CREDENTIALS],
  // loopback, however spelled: allowed only in local mode
  ["https://localhost/hook", LOOPBACK, OK],
  ["https://LOCALHOST./hook", LOOPBACK, OK],
  ["https://api.localhost/hook", LOOPBACK, OK],
  ["https://127.0.0.1/hook", LOOPBACK, OK],
  ["https://127.255.255.254/hook", LOOPBACK, OK],
  ["https://2130706433/hook", LOOPBACK, OK], // decimal
  ["https://0x7f000001/hook", LOOPBACK, OK], // hex
  ["https://0x7f.0.0.1/hook", LOOPBACK, OK], // hex octet
  ["https://0177.0.0.1/hook", LOOPBACK, OK], // octal
  ["https://127.1/hook", LOOPBACK, OK], // short form
  ["https://127.0.0.1./hook", LOOPBACK, OK], // trailing dot
  ["https://%31%32%37.0.0.1/hook", LOOPBACK, OK], // percent-encoded
  ["https://１２７.０.０.１/hook", LOOPBACK, OK], // full-width digits
  ["https://[::1]/hook", LOOPBACK, OK],
  ["https://[0:0:0:0:0:0:0:1]/hook", LOOPBACK, OK],
  ["https://[::ffff:127.0.0.1]/hook", LOOPBACK, OK], // IPv4-mapped
  ["https://[::ffff:7f00:1]/hook", LOOPBACK, OK],
  ["http://127.0.0.1:8787/hook", HTTPS, OK],
  ["http://localhost:8787/hook", HTTPS, OK],
  // private, link-local, internal: refused in both modes
  ["https://10.0.0.1/", INTERNAL, INTERNAL],
  ["https://10.255.255.255/", INTERNAL, INTERNAL],
  ["https://172.16.0.1/", INTERNAL, INTERNAL],
  ["https://172.31.255.255/", INTERNAL, INTERNAL],
  ["https://192.168.1.1/", INTERNAL, INTERNAL],
  ["https://169.254.169.254/latest/meta-data/", INTERNAL, INTERNAL],
  ["https://0.0.0.0/", INTERNAL, INTERNAL],
  ["https://0/", INTERNAL, INTERNAL],
  ["https://100.64.0.1/", INTERNAL, INTERNAL],
  ["https://224.0.0.1/", INTERNAL, INTERNAL],
  ["https://255.255.255.255/", INTERNAL, INTERNAL],
  ["https://167772161/", INTERNAL, INTERNAL], // 10.0.0.1, decimal
  ["https://3232235777/", INTERNAL, INTERNAL], // 192.168.1.1, decimal
  ["https://2852039166/", INTERNAL, INTERNAL], // 169.254.169.254, decimal
  ["https://0xa9fea9fe/", INTERNAL, INTERNAL], // 169.254.169.254, hex
  ["https://0xc0.0xa8.0x01.0x01/", INTERNAL, INTERNAL], // 192.168.1.1, hex octets
  ["https://0xac100001/", INTERNAL, INTERNAL], // 172.16.0.1, hex
  ["https://012.0.0.1/", INTERNAL, INTERNAL], // 10.0.0.1, octal
  ["https://0300.0250.1.1/", INTERNAL, INTERNAL], // 192.168.1.1, octal
  ["https://10.1/", INTERNAL, INTERNAL], // 10.0.0.1, short form
  ["https://[fc00::1]/", INTERNAL, INTERNAL],
  ["https://[fd12:3456:789a::1]/", INTERNAL, INTERNAL],
  ["https://[fe80::1]/", INTERNAL, INTERNAL],
  ["https://[febf:ffff::1]/", INTERNAL, INTERNAL],
  ["https://[fec0::1]/", INTERNAL, INTERNAL],
  ["https://[::]/", INTERNAL, INTERNAL],
  ["https://[ff02::1]/", INTERNAL, INTERNAL],
  ["https://[::ffff:10.0.0.1]/", INTERNAL, INTERNAL], // IPv4-mapped
  ["https://[::ffff:a9fe:a9fe]/", INTERNAL, INTERNAL], // IPv4-mapped, hex
  ["https://[::ffff:192.168.1.1]/", INTERNAL, INTERNAL],
  ["https://[::10.0.0.1]/", INTERNAL, INTERNAL], // IPv4-compatible
  ["https://[64:ff9b::a00:1]/", INTERNAL, INTERNAL], // NAT64 of 10.0.0.1
  ["https://[2002:c0a8:101::1]/", INTERNAL, INTERNAL], // 6to4 of 192.168.1.1
  ["https://printer.local/", INTERNAL, INTERNAL],
  ["https://db.internal/", INTERNAL, INTERNAL],
  ["https://intranet/", INTERNAL, INTERNAL],
  // length
  [
    `https://partner.example.com/${"a".repeat(2048)}`,
    "Must be at most 2048 characters",
    "Must be at most 2048 characters",
  ],
];

function webhookCaller(allowLocal: boolean) {
  const app = createApp();
  const vars = { ...env, WEBHOOK_ALLOW_LOCAL_URLS: allowLocal ? "true" : "false" };
  return async (apiKey: string, url: string) => {
    const ctx = createExecutionContext();
    const res = await app.fetch(
      new Request(`${BASE}/v1/invitations/webhook`, {
        method: "POST",
        headers: { Authorization: `Bearer ${apiKey}`, "Content-Type": "application/json" },
        body: JSON.stringify({ url, events: ["invitation.status_changed"] }),
      }),
      vars,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    return res;
  };
}

describe.each([
  { mode: "production", allowLocal: false, column: 1 },
  { mode: "local (WEBHOOK_ALLOW_LOCAL_URLS=true)", allowLocal: true, column: 2 },
] as const)("webhook URL rules, $mode", ({ allowLocal, column }) => {
  const post = webhookCaller(allowLocal);
  let project = { apiKey: "", projectId: "" };
  const storedUrl = async () =>
    (
      await env.DB.prepare("SELECT url FROM webhooks WHERE project_id = ?")
        .bind(project.projectId)
        .first<{ url: string }>()
    )?.url;
  beforeAll(async () => {
    project = await createProject();
  });

  const table = CASES.map((c) => ({
    url: c[0],
    expected: c[column],
    label: c[0].length > 80 ? `${c[0].slice(0, 40)}… (${c[0].length} characters)` : c[0],
  }));
  it.each(table)("$label -> $expected", async ({ url, expected }) => {
    const before = await storedUrl();
    const res = await post(project.apiKey, url);
    if (expected === OK) {
      expect(res.status).toBe(before === undefined ? 201 : 200);
      expect(((await res.json()) as { webhook: { url: string } }).webhook.url).toBe(url);
      expect(await storedUrl()).toBe(url);
    } else {
      const body = await expectError(res, 400, "invalid_request");
      expect(body.details?.fields).toEqual({ url: expect.stringContaining(expected) });
      // Bad input changes nothing.
      expect(await storedUrl()).toBe(before);
    }
  });
});

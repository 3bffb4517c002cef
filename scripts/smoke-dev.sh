#!/usr/bin/env bash
# Smoke test of `npm run dev` on a fresh local state: migrations applied, a development key
# printed, the API answering a create with it, the docs served. Used by .ci/run.
set -euo pipefail
# Pipes from curl end in `grep >/dev/null`, not `grep -q`: -q stops reading at the first match,
# and under pipefail curl then fails with a write error (exit 23) when the page is still coming.
cd "$(dirname "$0")/.."
port="${SMOKE_PORT:-8791}"
log="$(mktemp)"
rm -rf .wrangler/state .wrangler/dev-api-key
[ -f .dev.vars ] && had_dev_vars=1 || had_dev_vars=0

npm run dev -- --port "$port" --inspector-port "${SMOKE_INSPECTOR_PORT:-$((port + 1000))}" >"$log" 2>&1 &
pid=$!
cleanup() {
  kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
  pkill -f "wrangler dev .*--port $port" 2>/dev/null || true
  [ "$had_dev_vars" = 1 ] || rm -f .dev.vars
}
trap cleanup EXIT

for _ in $(seq 1 90); do
  curl -sf "http://localhost:$port/openapi.json" >/dev/null 2>&1 && break
  sleep 1
done
key="$(grep -oE 'zv_live_[0-9A-Za-z]{48}' "$log" | head -1 || true)"
if [ -z "$key" ]; then
  echo "smoke: npm run dev printed no API key"; cat "$log"; exit 1
fi
status="$(curl -s -o /tmp/smoke-create.json -w '%{http_code}' -X POST "http://localhost:$port/v1/invitations" \
  -H "Authorization: Bearer $key" -H "Content-Type: application/json" -d '{"clientName": "Acme Corp"}')"
if [ "$status" != 201 ]; then
  echo "smoke: create answered $status"; cat /tmp/smoke-create.json; cat "$log"; exit 1
fi
grep -q '"status":"pending"' /tmp/smoke-create.json
curl -sf "http://localhost:$port/docs" | grep "/openapi.json" >/dev/null

# The operator CLI against the same local D1, its keys used over HTTP.
json_field() { node -e 'process.stdout.write(String(JSON.parse(require("fs").readFileSync(0, "utf8"))[process.argv[1]]))' "$1"; }
created="$(npm run --silent admin -- create-project --name "Smoke Agency")"
cli_key="$(printf '%s' "$created" | json_field apiKey)"
cli_project="$(printf '%s' "$created" | json_field projectId)"
cli_key_id="$(printf '%s' "$created" | json_field keyId)"
number_id="$(npm run --silent admin -- add-phone-number --project "$cli_project" --number +14155550123 | json_field phoneNumberId)"
status="$(curl -s -o /tmp/smoke-cli.json -w '%{http_code}' -X POST "http://localhost:$port/v1/invitations" \
  -H "Authorization: Bearer $cli_key" -H "Content-Type: application/json" -d "{\"phoneNumberId\": \"$number_id\"}")"
if [ "$status" != 201 ]; then
  echo "smoke: create with the CLI's key and phone number answered $status"; cat /tmp/smoke-cli.json; exit 1
fi
npm run --silent admin -- revoke-key --key "$cli_key_id" >/dev/null
# An isolate that used the key trusts its lookup for up to 30 s (KEY_CACHE_TTL_MS, docs/api.md,
# "Retries, limits, request ids"): the revoked key must answer 401 within that, not at once.
revoked_at=$SECONDS
for _ in $(seq 1 40); do
  status="$(curl -s -o /dev/null -w '%{http_code}' "http://localhost:$port/v1/invitations" -H "Authorization: Bearer $cli_key")"
  [ "$status" = 401 ] && break
  sleep 1
done
if [ "$status" != 401 ] || [ $((SECONDS - revoked_at)) -gt 32 ]; then
  echo "smoke: a revoked key answered $status $((SECONDS - revoked_at)) s after its revocation, not 401 within the 30 s key cache"; exit 1
fi
# The static files npm run dev generated into public/, served as wrangler.toml's [assets] on
# this origin with public/_headers' nosniff: the docs' Scalar bundle (not a CDN's), the invite
# pages' script and stylesheet.
curl -sf "http://localhost:$port/docs" | grep 'src="/docs/scalar.js"' >/dev/null
for asset in /docs/scalar.js /invite-assets/page.js /invite-assets/page.css; do
  if ! curl -sf -D - -o /dev/null "http://localhost:$port$asset" | tr -d '\r' | grep -i '^x-content-type-options: nosniff$' >/dev/null; then
    echo "smoke: $asset is not served with nosniff"; exit 1
  fi
done

# The client's side in test mode (npm run dev has no META_APP_ID): the link's page offers the
# connection, the flow endpoints complete it against the built-in fake of Meta, and the partner
# API shows the completed invitation and its sender.
token="$(node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync("/tmp/smoke-create.json","utf8")).invitation.token)')"
inv_id="$(node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync("/tmp/smoke-create.json","utf8")).invitation.id)')"
curl -sf -H "Accept: text/html" "http://localhost:$port/invite/$token" | grep "Simulate success" >/dev/null
# The attempt's secret from start goes with every later step, as the page sends it.
secret=""
flow() { curl -s -o /tmp/smoke-flow.json -w '%{http_code}' -X POST "http://localhost:$port/invite/$token/$1" -H "Content-Type: application/json" -H "X-Attempt-Secret: $secret" -d "$2"; }
for step in "start|{}" "complete|{\"code\": \"fake.ok.smoke$RANDOM\", \"event\": \"FINISH\"}"; do
  status="$(flow "${step%%|*}" "${step#*|}")"
  if [ "$status" != 200 ]; then echo "smoke: ${step%%|*} answered $status"; cat /tmp/smoke-flow.json; exit 1; fi
  if [ -z "$secret" ]; then
    secret="$(node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync("/tmp/smoke-flow.json","utf8")).attemptSecret ?? "")')"
  fi
done
curl -sf "http://localhost:$port/v1/invitations/$inv_id" -H "Authorization: Bearer $key" > /tmp/smoke-done.json
grep -q '"status":"completed"' /tmp/smoke-done.json
sender="$(node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync("/tmp/smoke-done.json","utf8")).invitation.senderId)')"
curl -sf "http://localhost:$port/v1/senders/$sender" -H "Authorization: Bearer $key" | grep '"channels":\["whatsapp"\]' >/dev/null
echo "smoke: npm run dev served the API on local D1 with a printed key; the admin CLI made a working project, phone number and revocation; a test-mode link completed and made a sender"

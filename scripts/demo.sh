#!/usr/bin/env bash
# ivbridge end-to-end demo (make demo): starts the Medplum test upstream and
# ivbridge wired to it, loads the clinic examples over the clinic API, and
# shows them arriving upstream (counts by resource type, asked of the
# upstream) and their sync state. Everything runs on loopback in a
# temporary directory and is stopped on exit. Takes about a minute.
#
# Needs: Go, Node.js 20+ with the test upstream installed
# (scripts/upstream.sh install), curl, python3 (for JSON), and the shared
# clinic examples at ../shared/clinic-model/examples (override with
# IVBRIDGE_EXAMPLES).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
examples="${IVBRIDGE_EXAMPLES:-$root/../shared/clinic-model/examples}"
work="$(mktemp -d -t ivbridge-demo.XXXXXX)"
pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
need() { command -v "$1" >/dev/null || { echo "demo: $1 is required" >&2; exit 1; }; }
need go; need node; need curl; need python3
[ -d "$examples" ] || { echo "demo: no clinic examples at $examples (set IVBRIDGE_EXAMPLES)" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

say "building ivbridge"
go build -o "$work/ivbridge" "$root/cmd/ivbridge"

say "starting the test upstream (Medplum FhirRouter, in memory)"
"$root/scripts/upstream.sh" install >/dev/null
flags=""
[ "$(node -p 'process.versions.node.split(".")[0]')" -lt 22 ] && flags="--experimental-websocket"
up_port="$(free_port)"
node $flags "$root/testdata/upstream/server.mjs" --port "$up_port" >"$work/upstream.out" 2>"$work/upstream.err" &
pids+=($!)
upstream="http://127.0.0.1:$up_port"
for _ in $(seq 1 120); do
	curl -fsS "$upstream/metadata" >/dev/null 2>&1 && break
	sleep 0.25
done
curl -fsS "$upstream/metadata" >/dev/null || { echo "demo: upstream did not start:"; cat "$work/upstream.err"; exit 1; }
echo "upstream at $upstream"

say "starting ivbridge serve --upstream $upstream"
port="$(free_port)"
export IVBRIDGE_TOKEN="demo-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
"$work/ivbridge" serve --addr "127.0.0.1:$port" --data "$work/data" --upstream "$upstream" \
	--log-level warn 2>"$work/ivbridge.err" &
pids+=($!)
base="http://127.0.0.1:$port"
for _ in $(seq 1 120); do
	curl -fsS "$base/readyz" >/dev/null 2>&1 && break
	sleep 0.25
done
curl -fsS "$base/readyz" >/dev/null || { echo "demo: ivbridge did not start:"; cat "$work/ivbridge.err"; exit 1; }
echo "ivbridge at $base"
auth=(-H "Authorization: Bearer $IVBRIDGE_TOKEN")

say "loading the clinic examples over the clinic API (dependency order)"
for kind in patient practitioner plan administration reaction; do
	for f in "$examples/$kind"-*.json; do
		[ -e "$f" ] || continue
		id="$(json 'd["id"]' <"$f")"
		code="$(curl -sS -o "$work/put.out" -w '%{http_code}' -X PUT "${auth[@]}" \
			-H 'Content-Type: application/json' --data-binary "@$f" "$base/clinic/v1/${kind}s/$id")"
		printf '  PUT /clinic/v1/%ss/%-10s -> %s\n' "$kind" "$id" "$code"
		case "$code" in 2*) ;; *) sed 's/^/      /' "$work/put.out"; echo ;; esac
	done
done

say "waiting for the sync to drain"
start=$(date +%s)
while :; do
	st="$(curl -fsS "${auth[@]}" "$base/sync/v1/status")"
	pending="$(json 'd["pending"]' <<<"$st")"
	dead="$(json 'd["dead_letters"]' <<<"$st")"
	if [ "$pending" = 0 ]; then break; fi
	if [ $(( $(date +%s) - start )) -gt 60 ]; then echo "still $pending pending after 60 s"; break; fi
	sleep 0.5
done
echo "pending: $pending, dead letters: $dead ($(( $(date +%s) - start )) s)"

say "what the upstream holds now (counts by type, from the upstream)"
for t in Patient Practitioner Condition AllergyIntolerance Medication MedicationRequest MedicationAdministration \
	Observation AdverseEvent DetectedIssue Encounter Provenance; do
	n="$(curl -fsS "$upstream/$t?_count=0&_total=accurate" | json 'd.get("total", 0)')"
	[ "$n" = 0 ] || printf '  %-26s %s\n' "$t" "$n"
done

say "sync status (ivbridge sync status)"
IVBRIDGE_URL="$base" "$work/ivbridge" sync status

say "sync state of each record (GET /clinic/v1/{kind}/{id}/sync)"
for kind in patient practitioner plan administration reaction; do
	for f in "$examples/$kind"-*.json; do
		[ -e "$f" ] || continue
		id="$(json 'd["id"]' <"$f")"
		curl -fsS "${auth[@]}" "$base/clinic/v1/${kind}s/$id/sync" | python3 -c '
import json, sys
d = json.load(sys.stdin)
ds = d.get("deliveries") or []
v = d.get("synced_version")
print("  %-14s %-10s synced v%s  %s" % (sys.argv[1], sys.argv[2], v,
      ", ".join("%s/%s@%s" % (x.get("type"), (x.get("upstream_id") or "")[:8], (x.get("upstream_version") or "")[:8]) for x in ds)))
' "$kind" "$id"
	done
done

say "dead letters (ivbridge sync dead-letters)"
IVBRIDGE_URL="$base" "$work/ivbridge" sync dead-letters

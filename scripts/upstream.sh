#!/usr/bin/env bash
# The Medplum test upstream (testdata/upstream): Medplum's FhirRouter over an
# in-memory repository, served on loopback by testdata/upstream/server.mjs.
#
#   scripts/upstream.sh install        # npm ci (exact versions from package-lock.json); no-op when up to date
#   scripts/upstream.sh start [PORT]   # serve in the foreground (default port 8090; 0 = any free port)
#
# Needs Node.js 18 or newer (Debian bookworm's nodejs + npm will do; 20+ is
# what it is measured on) and the npm registry. Go tests start their own
# server through conformance/upstreamtest; `start` is for humans and demos.
set -euo pipefail
dir="$(cd "$(dirname "$0")/../testdata/upstream" && pwd)"

node_flags() {
	local major
	major=$(node -p 'process.versions.node.split(".")[0]')
	if [ "$major" -lt 18 ]; then
		echo "upstream.sh: Node.js $(node --version) is too old; need 18 or newer" >&2
		exit 1
	fi
	# @medplum/core 5 reads the global WebSocket at import: Node 20/21 have it
	# behind a flag; on 18/19 server.mjs defines a stand-in; 22+ have it.
	if [ "$major" -eq 20 ] || [ "$major" -eq 21 ]; then echo --experimental-websocket; fi
}

case "${1:-}" in
install)
	# A fresh machine may have no Node.js: install Debian's (18, tested
	# with the pinned Medplum) when we can.
	if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
		if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
			echo "upstream.sh: installing Debian's nodejs and npm" >&2
			DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >&2
		fi
	fi
	command -v node >/dev/null || { echo "upstream.sh: node is not installed (need Node.js 18+)" >&2; exit 1; }
	command -v npm >/dev/null || { echo "upstream.sh: npm is not installed" >&2; exit 1; }
	stamp="$dir/node_modules/.ivbridge-lock.sha256"
	want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -f "$dir/node_modules/@medplum/fhir-router/package.json" ]; then
		echo "upstream.sh: testdata/upstream/node_modules is up to date"
		exit 0
	fi
	# npm ci installs exactly the lockfile. Medplum 5 declares Node 22+ in
	# engines; npm only warns (silenced here), and older Nodes work (see server.mjs).
	(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
	echo "$want" >"$stamp"
	echo "upstream.sh: installed testdata/upstream/node_modules"
	;;
start)
	port="${2:-8090}"
	[ -f "$dir/node_modules/@medplum/fhir-router/package.json" ] || { echo "upstream.sh: not installed; run scripts/upstream.sh install" >&2; exit 1; }
	cd "$dir"
	# shellcheck disable=SC2046
	exec node $(node_flags) server.mjs --port "$port" --host "${IVBRIDGE_UPSTREAM_HOST:-127.0.0.1}"
	;;
*)
	echo "usage: scripts/upstream.sh install | start [PORT]" >&2
	exit 2
	;;
esac

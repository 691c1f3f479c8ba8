#!/usr/bin/env bash
# The sync push benchmark (adapter/sync BenchmarkPush: 10,000 records to the
# Medplum test upstream, beside the upstream's own ceiling) with ivbridge
# and the upstream each on CPUs of its own, as they are in production:
# the last CPU for the upstream, the others for the Go test process. On a
# shared 2-core machine every cycle the push spends is taken from the
# upstream it is measured against; `go test -bench BenchmarkPush` alone
# measures that shared case.
#
#   scripts/bench-push.sh                 # all three modes, 4 iterations each
#   scripts/bench-push.sh -bench 'BenchmarkPush/transaction' -benchtime 8x
#
# Extra arguments go to go test (later flags win). Needs taskset
# (util-linux) and at least 2 CPUs.
set -euo pipefail
cd "$(dirname "$0")/.."
n=$(nproc)
if [ "$n" -lt 2 ]; then
	echo "bench-push.sh: needs at least 2 CPUs (have $n)" >&2
	exit 1
fi
scripts/upstream.sh install >&2
export IVBRIDGE_UPSTREAM_CPUS=$((n - 1))
exec taskset -c "0-$((n - 2))" go test ./adapter/sync -run '^$' -bench 'BenchmarkPush' -benchtime 4x "$@"

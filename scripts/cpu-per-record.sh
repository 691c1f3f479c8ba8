#!/usr/bin/env bash
# CPU time per accepted record of `ivbridge serve` on PostgreSQL, split
# into the ivbridge process and the PostgreSQL server, under the same load
# ivload sends (administrations from 8 clients). Throughput on a shared
# machine swings with the machine; CPU per record is steadier, and it is
# what bounds throughput when the cores are busy.
#
#   scripts/cpu-per-record.sh                 # 6,000 records, 3 runs
#   scripts/cpu-per-record.sh -n 4000 -runs 5 -bin /tmp/ivbridge-old
#
# Each run serves a fresh database (created on the server of
# scripts/postgres.sh, dropped after), warms up with 1,000 records, then
# measures. Linux only: it reads /proc. The PostgreSQL figure sums the
# server's processes, those that exit during the run included (through the
# postmaster's children times).
set -euo pipefail
cd "$(dirname "$0")/.."
n=6000
runs=3
bin=""
while [ $# -gt 0 ]; do
	case $1 in
	-n) n=$2; shift 2 ;;
	-runs) runs=$2; shift 2 ;;
	-bin) bin=$2; shift 2 ;;
	*) echo "cpu-per-record.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -z "$bin" ]; then
	go build -o "$work/ivbridge" ./cmd/ivbridge
	bin=$work/ivbridge
fi
go build -o "$work/ivload" ./cmd/ivload
dsn=$(scripts/postgres.sh)
server=${dsn%%\?*}
server=${server%/*} # postgres://user@host:port
postmaster=$(scripts/postgres.sh pid)
tick=$(getconf CLK_TCK)
export IVBRIDGE_TOKEN
IVBRIDGE_TOKEN=cpu-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')

# cpu PID...: utime+stime of the processes, in clock ticks.
cpu() {
	local s=0 p
	for p in "$@"; do
		if [ -r "/proc/$p/stat" ]; then
			s=$((s + $(awk '{print $14 + $15}' "/proc/$p/stat")))
		fi
	done
	echo "$s"
}
# pgcpu: the server's processes, live and exited.
pgcpu() {
	# shellcheck disable=SC2046
	echo $(($(cpu $(pgrep -P "$postmaster") "$postmaster") + $(awk '{print $16 + $17}' "/proc/$postmaster/stat")))
}

for run in $(seq "$runs"); do
	db=ivcpu_$$_$run
	scripts/postgres.sh psql -c "CREATE DATABASE $db"
	port=$((18100 + run))
	"$bin" serve --addr "127.0.0.1:$port" --db "$server/$db?sslmode=disable" --log-level warn >"$work/serve.log" 2>&1 &
	spid=$!
	for _ in $(seq 100); do
		curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && break
		sleep 0.1
	done
	"$work/ivload" -url "http://127.0.0.1:$port" -n 1000 -c 8 >/dev/null
	g0=$(cpu "$spid")
	p0=$(pgcpu)
	out=$("$work/ivload" -url "http://127.0.0.1:$port" -n "$n" -c 8)
	g1=$(cpu "$spid")
	p1=$(pgcpu)
	kill "$spid"
	wait "$spid" 2>/dev/null || true
	scripts/postgres.sh psql -c "DROP DATABASE $db"
	rate=$(echo "$out" | sed -E 's/.* ([0-9]+) records\/s.*/\1/')
	awk -v g=$((g1 - g0)) -v p=$((p1 - p0)) -v n="$n" -v t="$tick" -v r="$rate" -v run="$run" 'BEGIN {
		printf "run %d: %s records/s; CPU per record: ivbridge %.3f ms, PostgreSQL %.3f ms, sum %.3f ms\n",
			run, r, g * 1000 / t / n, p * 1000 / t / n, (g + p) * 1000 / t / n }'
done
